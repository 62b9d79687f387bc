"""Drives the pure IVR flow over a live AGI channel: plays prompts, collects DTMF, answers lookups."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from agi.protocol import AgiHangup, Request
from app import names
from ivr.engine import CaseStatus, Collect, Flow, Lookup, Outcome, Play

ESCAPE_DIGITS = "0123456789*#"

LookupFn = Callable[[str], Awaitable[CaseStatus | None]]


@dataclass
class DriveResult:
    outcome: Outcome
    choices: list[tuple[str, str, datetime]] = field(default_factory=list)  # node, digits, when


def _digit(result: dict[str, object]) -> str:
    """AGI returns the ASCII code of a pressed key, 0 for none, -1 on hangup."""
    value = result.get("result", ("0", ""))
    text = str(value[0]) if isinstance(value, tuple) else ""
    digits = text.removeprefix("-")
    # ASCII only: "²".isdigit() is True but int("²") raises, and panoramisk passes any non-space text through
    code = int(text) if digits.isascii() and digits.isdigit() else 0
    if code < 0:
        raise AgiHangup("caller hung up")
    key = chr(code) if 0 < code < 128 else ""
    return key if key in ESCAPE_DIGITS else ""


class Driver:
    def __init__(self, request: Request, sounds_dir: str, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.request = request
        self.sounds = sounds_dir
        self.clock = clock
        # Kept on the driver, not only in the result, so a caller who hangs up mid-menu keeps their choices.
        self.choices: list[tuple[str, str, datetime]] = []

    async def play(self, prompt: str, escape: str = "") -> str:
        result = await self.request.send_command(f'STREAM FILE {self.sounds}/{prompt} "{escape}"')
        return _digit(result)

    async def collect(self, step: Collect) -> str:
        """Play the prompts and gather up to max_digits keys, in one Asterisk Read() (a key interrupts the prompts).

        Why one Read and not STREAM FILE per prompt then WAIT FOR DIGIT: while Asterisk waits for the AGI's next
        command it reads the channel and throws the frames away, so a key pressed between two commands (as one
        prompt ends, or while a reply is on its way under load) was lost and the caller had to key again. Read
        plays every prompt and listens the whole time, and costs two round trips however many prompts there are.
        """
        files = "&".join(f"{self.sounds}/{prompt}" for prompt in step.prompts)
        # t() with no terminator makes # and * ordinary keys; a lookup's terminator ends its input instead.
        terminator = step.terminator or ""
        timeout_s = max(step.timeout_ms, 1) / 1000
        await self.request.send_command(
            f'EXEC Read "{names.VAR_KEYS},{files},{step.max_digits},t({terminator}),1,{timeout_s:g}"')
        keys = await self.request.get_variable(names.VAR_KEYS)
        # Only keys: whatever else Asterisk hands back (nothing, on a timeout) is no input.
        return "".join(key for key in keys if key in ESCAPE_DIGITS)[: step.max_digits]

    async def run(self, flow: Flow, lookup: LookupFn) -> DriveResult:
        choices = self.choices
        step = flow.start()
        while not isinstance(step, Outcome):
            if isinstance(step, Collect):
                digits = await self.collect(step)
                if digits:
                    choices.append((step.node, digits, self.clock()))
                step = flow.feed(digits or None)
            elif isinstance(step, Play):
                for prompt in step.prompts:
                    await self.play(prompt)
                step = flow.played()
            elif isinstance(step, Lookup):
                step = flow.feed_lookup(await lookup(step.code))
            else:  # pragma: no cover - the engine only yields the four step types
                raise TypeError(f"unknown step {step!r}")
        # The outcome's own prompts are played by the handler, after it has stored what it promises.
        return DriveResult(step, choices)

    async def play_all(self, prompts: tuple[str, ...]) -> None:
        for prompt in prompts:
            await self.play(prompt)
