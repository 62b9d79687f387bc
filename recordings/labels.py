"""Who speaks on which channel of a recording, by kind, and the labels shown in transcripts."""

from __future__ import annotations

# MixMonitor's D option: left = audio from the channel it runs on, right = audio sent to that channel.
SPEAKERS: dict[str, tuple[str, ...]] = {
    "inbound": ("citizen", "operator"),  # on the caller's channel; the right side is the operator, then the agency
    "callback": ("operator", "citizen"),  # on the operator's leg that rang first, then dialled the citizen
    "agency_leg": ("agency", "operator"),  # on the agency's leg of a warm transfer (the caller after completion)
    "supervision": ("supervisor", "operator"),  # on the supervisor's leg: right is the spied call (operator, citizen)
    "voicemail": ("citizen",),  # Record(): one channel
}
LABELS = {
    "vi": {"citizen": "Người dân", "operator": "Tổng đài viên", "agency": "Cơ quan", "supervisor": "Giám sát viên"},
    "en": {"citizen": "Citizen", "operator": "Operator", "agency": "Agency", "supervisor": "Supervisor"},
}


def speakers(kind: str) -> tuple[str, ...]:
    """The speaker on each channel, in channel order (unknown kinds read as an inbound call)."""
    return SPEAKERS.get(kind, SPEAKERS["inbound"])


def label(speaker: str, lang: str = "vi") -> str:
    return LABELS.get(lang, LABELS["vi"]).get(speaker, speaker)
