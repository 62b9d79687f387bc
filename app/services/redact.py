"""Remove phone numbers and e-mail addresses from text that is shown to the public."""

from __future__ import annotations

import re

# Vietnamese numbers: 0xxx or +84/84xxx, 9 to 11 digits, written with spaces, dots or dashes.
_PHONE = re.compile(r"(?<![\w])(?:\+84|84|0)(?:[\s.\-]?\d){8,10}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_MASK = "[số điện thoại đã ẩn]"
EMAIL_MASK = "[email đã ẩn]"


def redact(text: str | None) -> str:
    if not text:
        return ""
    return _PHONE.sub(PHONE_MASK, _EMAIL.sub(EMAIL_MASK, text))


def normalise_phone(phone: str | None) -> str:
    """Digits only, +84/84 written as 0, so "+84 905-123-456" and "0905123456" compare equal."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits
