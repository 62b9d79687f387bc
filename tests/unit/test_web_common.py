"""Page machinery without services: CSRF tokens, safe redirects, translation tables, templates, console.js."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from app.api.auth import csrf_token
from app.web.common import i18n
from app.web.common.pages import safe_next
from app.web.common.templating import WEB_DIR, asset, environment
from app.web.console import strings as _console  # noqa: F401  (registers texts)
from app.web.kb import strings as _kb  # noqa: F401

CONSOLE_JS = WEB_DIR / "console" / "static" / "console.js"


def test_given_session_tokens_when_making_csrf_tokens_then_each_token_has_its_own() -> None:
    key = b"k" * 32
    assert csrf_token(key, "a") == csrf_token(key, "a")
    assert csrf_token(key, "a") != csrf_token(key, "b")
    assert csrf_token(key, "a") != csrf_token(b"x" * 32, "a")
    assert re.fullmatch(r"[0-9a-f]{64}", csrf_token(key, "a"))


@pytest.mark.parametrize("target,expected", [("/console", "/console"), ("/kb?q=a", "/kb?q=a"), ("//evil.example", "/"),
                                             ("https://evil.example/", "/"), ("/\\evil", "/"), (None, "/"), ("", "/")])
def test_given_next_targets_when_checked_then_only_local_paths_pass(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_given_the_text_table_then_every_text_exists_in_both_languages() -> None:
    for key, (vi, en) in i18n.TEXTS.items():
        assert vi.strip() and en.strip(), key
        assert set(re.findall(r"\{\w+\}", vi)) == set(re.findall(r"\{\w+\}", en)), key


def test_given_a_key_defined_twice_when_registering_then_refused() -> None:
    with pytest.raises(ValueError):
        i18n.register({"app.name": ("x", "y")})
    assert i18n.text("vi", "no.such.key") == "no.such.key"


def test_given_every_template_then_it_compiles() -> None:
    names = [f"{p.parent.parent.name}/{p.name}" for p in WEB_DIR.glob("*/templates/*.html")]
    assert len(names) >= 7
    for name in names:
        environment().get_template(name)


def test_given_static_files_then_their_urls_carry_a_content_hash() -> None:
    assert re.fullmatch(r"/static/console/console\.js\?v=[0-9a-f]{10}", asset("console/console.js"))
    assert re.fullmatch(r"/static/app\.css\?v=[0-9a-f]{10}", asset("app.css"))


def test_given_console_js_then_every_text_key_it_names_is_in_the_table() -> None:
    source = CONSOLE_JS.read_text()
    keys = set(re.findall(r'T\("([a-z_.0-9]+)"', source))
    assert keys, "no T(...) calls found"
    literal = {k for k in keys if not k.endswith(".")}
    assert sorted(literal - set(i18n.TEXTS)) == []
    assert "innerHTML" not in source  # texts from the network never become markup


def test_given_console_js_then_node_accepts_its_syntax() -> None:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("node is not installed; the browser test covers console.js")
    result = subprocess.run([node, "--check", str(CONSOLE_JS)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
