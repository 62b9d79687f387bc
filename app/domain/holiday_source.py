"""Vietnamese public holidays from the `holidays` package, as rows to copy into the editable calendar table."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import holidays

# Versions before 0.109 computed some Vietnamese lunar holidays on the wrong dates.
MIN_VERSION = (0, 109)


def vietnam_public_holidays(years: Iterable[int], language: str = "vi") -> list[tuple[date, str]]:
    """(date, name) for each Vietnamese public holiday in the given years, sorted by date; names in
    `language` ("vi" e.g. "Tết Nguyên Đán", or "en_US" e.g. "Lunar New Year").

    These are a starting point: the government fixes the Tết and 2/9 days off each year, so an administrator
    edits the copied rows (and adds make-up Saturdays) rather than trusting this list blindly.
    """
    _check_version()
    years = sorted(set(years))
    if not years:
        return []
    calendar = holidays.country_holidays("VN", years=years, language=language)
    return sorted((day, str(name)) for day, name in calendar.items())


def _check_version() -> None:
    parts = tuple(int(p) for p in holidays.__version__.split(".")[:2] if p.isdigit())
    if parts < MIN_VERSION:
        raise RuntimeError(f"holidays {holidays.__version__} has wrong Vietnamese lunar dates; "
                           f"install holidays>=0.109 (pip install 'holidays>=0.109,<1')")
