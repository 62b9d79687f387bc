"""The code stays clean: ruff and mypy pass, the domain is framework-free, modules stay small."""

from __future__ import annotations

import re
import subprocess
import sys

from app.settings import PROJECT_DIR

PACKAGES = ("app", "agi", "ivr", "recordings")


def test_given_source_when_ruff_checks_then_no_findings() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=PROJECT_DIR,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_given_source_when_mypy_checks_then_no_errors() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=PROJECT_DIR, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_given_domain_package_then_it_imports_no_framework() -> None:
    pattern = re.compile(r"^\s*(from|import) (fastapi|sqlalchemy|panoramisk|redis|starlette)", re.M)
    offenders = [p.name for p in (PROJECT_DIR / "app" / "domain").rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []


def test_given_modules_then_none_exceeds_400_lines() -> None:
    big = [str(p.relative_to(PROJECT_DIR)) for pkg in PACKAGES for p in (PROJECT_DIR / pkg).rglob("*.py")
           if len(p.read_text().splitlines()) > 400]
    assert big == []
