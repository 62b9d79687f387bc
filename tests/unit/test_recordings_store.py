"""Stored files: one changed byte is detected, Opus keeps the two speakers apart, durations, store paths."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.db.models_recordings import Recording
from app.ops.asterisk_root import AsteriskRuntime
from app.settings import Settings
from recordings import convert, integrity, store
from tests.support.recording_files import decode_channels, goertzel, mono_wav, stereo_tones


def _stored(settings: Settings, tmp_path: Path) -> Recording:
    rec = Recording(id=7, uniqueid="u", kind="inbound", source_path="/x/u.raw", state="ready",
                    started_at=datetime(2026, 11, 24, 8, tzinfo=UTC))
    rec.store_path, rec.compact_path = store.store_name(rec), store.compact_name(rec)
    original = stereo_tones(settings.store_dir / rec.store_path, 2)
    compact = settings.store_dir / rec.compact_path
    convert.to_opus(original, compact, 32)
    rec.sha256, rec.compact_sha256 = integrity.sha256_file(original), integrity.sha256_file(compact)
    return rec


def test_given_untouched_store_when_verified_then_both_hashes_match(settings: Settings, tmp_path: Path) -> None:
    rec = _stored(settings, tmp_path)
    result = integrity.verify(rec, settings)
    assert result["ok"] and result["original"]["ok"] and result["compact"]["ok"]
    assert result["original"]["actual"] == rec.sha256


def test_given_one_byte_changed_in_stored_original_when_verified_then_original_reported_not_ok(
        settings: Settings, tmp_path: Path) -> None:
    rec = _stored(settings, tmp_path)
    original = store.original_path(rec, settings)
    assert original is not None
    data = bytearray(original.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one byte, in the middle of the call
    original.write_bytes(bytes(data))

    result = integrity.verify(rec, settings)

    assert not result["ok"] and not result["original"]["ok"]
    assert result["original"]["expected"] == rec.sha256 != result["original"]["actual"]
    assert result["compact"]["ok"]  # the compact copy is checked on its own


def test_given_stored_original_deleted_when_verified_then_not_ok_and_absent(settings: Settings,
                                                                             tmp_path: Path) -> None:
    rec = _stored(settings, tmp_path)
    path = store.original_path(rec, settings)
    assert path is not None
    path.unlink()
    result = integrity.verify(rec, settings)
    assert not result["ok"] and result["original"]["present"] is False


def test_given_two_tones_when_converted_at_32k_and_decoded_then_each_stays_on_its_own_channel(
        tmp_path: Path) -> None:
    src = stereo_tones(tmp_path / "call.raw", 3, left_hz=440, right_hz=1000)
    convert.to_opus(src, tmp_path / "call.opus", 32)
    left, right = decode_channels(tmp_path / "call.opus", tmp_path)
    # each channel carries its own tone at least 100 times (20 dB) stronger than the other side's
    assert goertzel(left, 440) > 100 * goertzel(left, 1000)
    assert goertzel(right, 1000) > 100 * goertzel(right, 440)


def test_given_raw_and_wav_originals_when_measured_then_duration_rate_and_channels(tmp_path: Path) -> None:
    raw = convert.audio_info(stereo_tones(tmp_path / "a.raw", 2.5))
    wav = convert.audio_info(mono_wav(tmp_path / "v.wav", 1.5))
    assert (raw.duration_s, raw.sample_rate, raw.channels) == (pytest.approx(2.5), 8000, 2)
    assert (wav.duration_s, wav.sample_rate, wav.channels) == (pytest.approx(1.5), 8000, 1)


def test_given_voice_message_when_converted_then_mono_opus(tmp_path: Path) -> None:
    convert.to_opus(mono_wav(tmp_path / "v.wav", 1), tmp_path / "v.opus", 32)
    assert len(decode_channels(tmp_path / "v.opus", tmp_path)) == 1


def test_given_one_minute_call_when_storage_measured_then_opus_much_smaller_than_raw(tmp_path: Path) -> None:
    numbers = convert.storage_numbers(stereo_tones(tmp_path / "m.raw", 60), 32)
    assert numbers.original_bytes_per_min == pytest.approx(8000 * 2 * 2 * 60)
    assert numbers.compact_bytes_per_min < numbers.original_bytes_per_min / 3
    assert convert.storage_line(numbers).startswith("storage original_bytes_per_min=1920000 ")


def test_given_failing_encoder_when_converting_then_nothing_left_behind(tmp_path: Path) -> None:
    src = tmp_path / "broken.raw"
    src.write_bytes(b"")
    with pytest.raises(convert.ConversionFailed):
        convert.to_opus(src, tmp_path / "out.opus", 32, encoder="false")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.raw"]


def test_given_chrooted_asterisk_when_mapping_paths_then_host_paths_under_the_root(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", asterisk_root=str(tmp_path / "root"),
                        asterisk_instance_dir="/srv/tongdai/unit")
    rec = Recording(id=12, uniqueid="u", kind="inbound", state="ended",
                    source_path="/srv/tongdai/unit/recordings/2026/11/24/u.raw",
                    started_at=datetime(2026, 11, 24, 23, 59, tzinfo=UTC))
    assert store.source_path(rec, settings) == tmp_path / "root/srv/tongdai/unit/recordings/2026/11/24/u.raw"
    assert store.recordings_folder(settings) == tmp_path / "root/srv/tongdai/unit/recordings"
    assert store.store_name(rec) == "2026/11/24/000000012.raw" and store.compact_name(rec).endswith("012.opus")
    assert store.original_path(rec, settings) is None  # not stored yet
    rec.store_path, rec.state = store.store_name(rec), "deleted"
    assert store.original_path(rec, settings) is None  # deleted
    assert AsteriskRuntime(tmp_path / "root").inside_path(store.source_path(rec, settings)) == rec.source_path


def test_given_file_when_hashed_then_same_as_hashlib(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(range(256)) * 20000)  # several read chunks
    assert integrity.sha256_file(path) == hashlib.sha256(path.read_bytes()).hexdigest()
