"""Prompt texts as data: prompt id -> what the caller hears (Vietnamese), spoken by espeak-ng at set-up."""

from __future__ import annotations

from app import names

PROMPTS: dict[str, str] = {
    names.PROMPT_AGI_DOWN: (
        "Xin quý vị vui lòng giữ máy, cuộc gọi đang được chuyển tới tổng đài viên. "
        "Cuộc gọi được ghi âm."
    ),
}
