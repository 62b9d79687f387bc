"""Page machinery without services: CSRF tokens, safe redirects, translation tables, templates, console scripts."""

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

CONSOLE_STATIC = WEB_DIR / "console" / "static"
# The operator console's scripts in the order the page loads them: core first (opens window.TdConsole), main last.
CONSOLE_JS = [CONSOLE_STATIC / f"console-{name}.js"
              for name in ("core", "feed", "state", "form", "actions", "transfer", "main")]


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
    assert re.fullmatch(r"/static/console/console-core\.js\?v=[0-9a-f]{10}", asset("console/console-core.js"))
    assert re.fullmatch(r"/static/app\.css\?v=[0-9a-f]{10}", asset("app.css"))


def test_given_the_console_page_then_it_loads_every_script_once_in_order_and_deferred() -> None:
    assert sorted(CONSOLE_STATIC.glob("*.js")) == sorted(CONSOLE_JS)  # no script left out of the page
    html = environment().get_template("console/console.html").render(
        t=str, lang="vi", page=None, csrf="", path="/console", switch_url="", extension="", pause_reasons=[],
        emergency_numbers=[], callback_results=[], js_texts={})
    scripts = re.findall(r'<script src="([^"]+)"( defer)?></script>', html)
    shared = [(asset("td-web.js"), " defer")]  # what every page script builds on, first
    assert scripts == shared + [(asset(f"console/{path.name}"), " defer") for path in CONSOLE_JS]


def test_given_console_scripts_then_each_opens_with_its_purpose_and_stays_small() -> None:
    for path in [*CONSOLE_JS, CONSOLE_STATIC.parent.parent / "static" / "td-web.js"]:
        lines = path.read_text().splitlines()
        assert lines[0].startswith(f"// {path.name} — "), path.name
        assert len(lines) < 300, (path.name, len(lines))


def test_given_console_js_then_every_text_key_it_names_is_in_the_table() -> None:
    source = "\n".join(path.read_text() for path in CONSOLE_JS)
    keys = set(re.findall(r'T\("([a-z_.0-9]+)"', source))
    assert keys, "no T(...) calls found"
    literal = {k for k in keys if not k.endswith(".")}
    assert sorted(literal - set(i18n.TEXTS)) == []
    assert "innerHTML" not in source  # texts from the network never become markup


def test_given_console_js_then_node_accepts_its_syntax() -> None:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("node is not installed; the browser test covers the console scripts")
    for path in CONSOLE_JS:
        result = subprocess.run([node, "--check", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, (path.name, result.stderr)
