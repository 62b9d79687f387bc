"""Turning Vosk's per-channel results into segments and one speaker-labelled transcript (no model needed)."""

from __future__ import annotations

from pathlib import Path

from recordings.transcribe import _segments, merge, model_rate


def vosk_result(*words: tuple[str, float, float]) -> dict[str, object]:
    return {"result": [{"word": w, "start": s, "end": e, "conf": 0.9} for w, s, e in words],
            "text": " ".join(w for w, _, _ in words)}


def test_given_vosk_results_when_made_segments_then_empty_results_dropped_and_words_kept_with_times() -> None:
    results = [vosk_result(("xin", 0.5, 0.8), ("chào", 0.8, 1.1)), {"text": ""}, vosk_result(("ạ", 3.0, 3.2))]
    segments = _segments(results, "citizen", 0)
    assert [(s["start"], s["end"], s["text"]) for s in segments] == [(0.5, 1.1, "xin chào"), (3.0, 3.2, "ạ")]
    assert segments[0]["words"][1] == {"word": "chào", "start": 0.8, "end": 1.1, "conf": 0.9}
    assert {s["speaker"] for s in segments} == {"citizen"} and {s["channel"] for s in segments} == {0}


def test_given_segments_of_two_speakers_when_merged_then_one_labelled_line_per_turn() -> None:
    left = _segments([vosk_result(("đèn", 0.0, 0.4)), vosk_result(("hỏng", 0.6, 0.9)),
                      vosk_result(("cảm", 5.0, 5.2), ("ơn", 5.2, 5.4))], "citizen", 0)
    right = _segments([vosk_result(("dạ", 2.0, 2.3), ("vâng", 2.3, 2.6))], "operator", 1)
    segments = sorted(left + right, key=lambda s: (s["start"], s["channel"]))
    assert merge(segments) == "Người dân: đèn hỏng\nTổng đài viên: dạ vâng\nNgười dân: cảm ơn"
    assert merge(segments, "en").splitlines()[1] == "Operator: dạ vâng"
    assert merge([]) == ""


def test_given_an_agency_leg_when_merged_then_the_agency_is_labelled() -> None:
    segments = _segments([vosk_result(("alo", 0.0, 0.3))], "agency", 0)
    assert merge(segments) == "Cơ quan: alo"


def test_given_a_model_with_an_8k_mfcc_conf_when_rate_read_then_8000(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "mfcc.conf").write_text("--use-energy=false\n--sample-frequency=8000\n--num-ceps=13\n")
    assert model_rate(tmp_path) == 8000
