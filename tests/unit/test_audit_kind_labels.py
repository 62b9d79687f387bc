"""Every kind of recording has a label on the auditor's page, in Vietnamese and in English."""

from __future__ import annotations

import pytest

import app.web.audit.strings  # noqa: F401  (registers the texts)
from app.web.common import i18n
from recordings.naming import KINDS


@pytest.mark.parametrize("kind", [*KINDS, "voicemail"])
def test_given_a_recording_kind_when_the_auditor_page_labels_it_then_both_languages_have_words(kind: str) -> None:
    vi, en = (i18n.text(lang, f"aud.kind.{kind}") for lang in ("vi", "en"))
    assert vi.strip() and en.strip() and not {vi, en} & {kind, f"aud.kind.{kind}"}
