"""Installing a Vosk model from an archive: the format checks, the swap, and the model's rate from mfcc.conf."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import pytest

from app.ops import vosk_model
from recordings.transcribe import MODEL_NAME_FILE, model_rate


def fake_model(root: Path, rate: str | None = None) -> Path:
    (root / "conf").mkdir(parents=True)
    (root / "am").mkdir()
    (root / "am" / "final.mdl").write_bytes(b"\0" * 16)
    (root / "conf" / "mfcc.conf").write_text("--use-energy=false\n" + (f"--sample-frequency={rate}\n" if rate else ""))
    return root


def quiet(_line: str) -> None:
    pass


def test_given_a_zip_with_a_top_folder_when_installed_then_the_model_is_at_dest_with_its_name(tmp_path: Path) -> None:
    src = fake_model(tmp_path / "src" / "vosk-model-small-vn-0.4", rate="16000")
    archive = tmp_path / "vosk-model-small-vn-0.4.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in src.rglob("*"):
            zf.write(path, path.relative_to(src.parent))
    dest = tmp_path / "var" / "models" / "vosk"
    vosk_model.install(str(archive), dest, say=quiet)
    assert (dest / "am" / "final.mdl").is_file()
    assert (dest / MODEL_NAME_FILE).read_text().strip() == "vosk-model-small-vn-0.4"
    assert model_rate(dest) == 16000
    assert [p.name for p in dest.parent.iterdir()] == ["vosk"]  # no temporary folders left


def test_given_a_tar_when_installed_over_an_old_model_then_the_new_one_replaces_it(tmp_path: Path) -> None:
    dest = fake_model(tmp_path / "models" / "vosk")
    (dest / "old-only").write_text("x")
    src = fake_model(tmp_path / "src" / "vosk-model-vn-0.4", rate="8000")
    archive = tmp_path / "m.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(src, arcname="vosk-model-vn-0.4")
    vosk_model.install(str(archive), dest, say=quiet)
    assert not (dest / "old-only").exists()
    assert model_rate(dest) == 8000


def test_given_an_archive_without_a_model_when_installed_then_refused_and_the_old_model_is_kept(
        tmp_path: Path) -> None:
    dest = fake_model(tmp_path / "models" / "vosk", rate="16000")
    archive = tmp_path / "junk.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("readme.txt", "no model here")
    with pytest.raises(vosk_model.ModelInstallError) as err:
        vosk_model.install(str(archive), dest, say=quiet)
    assert err.value.error_id == "vosk_model_invalid"
    assert model_rate(dest) == 16000 and (dest / "am" / "final.mdl").is_file()


def test_given_a_file_that_is_no_archive_or_missing_when_installed_then_refused(tmp_path: Path) -> None:
    not_archive = tmp_path / "model.zip"
    not_archive.write_text("plain text")
    with pytest.raises(vosk_model.ModelInstallError):
        vosk_model.install(str(not_archive), tmp_path / "dest", say=quiet)
    with pytest.raises(vosk_model.ModelInstallError):
        vosk_model.install(str(tmp_path / "absent.zip"), tmp_path / "dest", say=quiet)
    assert not (tmp_path / "dest").exists()


def test_given_a_tar_with_a_path_leaving_the_folder_when_installed_then_refused(tmp_path: Path) -> None:
    evil = tmp_path / "evil.tar"
    payload = tmp_path / "payload"
    payload.write_text("x")
    with tarfile.open(evil, "w") as tf:
        tf.add(payload, arcname="../../escaped")
    with pytest.raises(tarfile.TarError):
        vosk_model.install(str(evil), tmp_path / "a" / "dest", say=quiet)
    assert not (tmp_path / "escaped").exists()


def test_given_no_sample_frequency_in_mfcc_conf_when_rate_read_then_kaldi_default_16000(tmp_path: Path) -> None:
    assert model_rate(fake_model(tmp_path / "m")) == 16000
    assert model_rate(tmp_path / "nothing") == 16000
