"""Prompt texts as data: prompt id -> what the caller hears (Vietnamese), read from ivr/menu.toml's [prompts]."""

from __future__ import annotations

from ivr.menu import load_menu

# Loaded (and validated) at import: set-up speaks these with espeak-ng and the AGI server checks the files exist,
# so a broken menu.toml stops both with a MenuError instead of leaving a caller in silence.
# It includes app.names.PROMPT_AGI_DOWN, every ivr.speech piece and every case status (ivr.menu requires them).
PROMPTS: dict[str, str] = dict(load_menu().prompts)
