"""menu.toml loads into a valid menu, and each kind of editing mistake is rejected with the key at fault."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import names
from ivr import speech
from ivr.menu import CASE_STATUSES, MENU_FILE, LookupNode, MenuError, MenuNode, load_menu
from ivr.prompts import PROMPTS

DEFAULT_TEXT = MENU_FILE.read_text(encoding="utf-8")


def broken(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    """The default menu with one edit, written to tmp_path."""
    assert DEFAULT_TEXT.count(old) == count, f"{old!r} must occur exactly {count} time(s) in menu.toml"
    path = tmp_path / "menu.toml"
    path.write_text(DEFAULT_TEXT.replace(old, new), encoding="utf-8")
    return path


def test_given_default_menu_when_loaded_then_entry_nodes_exist() -> None:
    menu = load_menu()
    assert (menu.start, menu.out_of_hours) == ("main", "out_of_hours")
    assert {"main", "admin", "infra", "lookup", "after_lookup", "emergency", "callback_offer"} <= set(menu.nodes)
    assert isinstance(menu.nodes["main"], MenuNode) and isinstance(menu.nodes["lookup"], LookupNode)


def test_given_default_menu_then_every_prompt_it_references_exists_in_prompts() -> None:
    used = load_menu().referenced_prompts()
    assert {"welcome", "main_menu", "invalid_choice", "lookup_not_found", "status_unknown", "goodbye"} <= used
    assert used - set(PROMPTS) == set()


def test_given_prompts_then_they_come_from_menu_toml_and_include_the_agi_down_prompt() -> None:
    assert dict(load_menu().prompts) == PROMPTS
    assert "tổng đài viên" in PROMPTS[names.PROMPT_AGI_DOWN]


def test_given_prompts_then_every_speech_piece_and_case_status_has_a_text() -> None:
    assert set(speech.PIECES) - set(PROMPTS) == set()
    assert {f"status_{s}" for s in CASE_STATUSES} - set(PROMPTS) == set()
    assert "status_unknown" in PROMPTS


def test_given_prompts_then_ids_are_safe_file_names_and_texts_are_not_empty() -> None:
    for prompt_id, text in PROMPTS.items():
        assert re.fullmatch(r"[a-z0-9_-]+", prompt_id), prompt_id
        assert text.strip(), prompt_id


def test_given_default_menu_then_every_queue_action_uses_a_known_skill_and_a_topic() -> None:
    for node in load_menu().nodes.values():
        actions = [node.on_fail, *(node.options.values() if isinstance(node, MenuNode) else ())]
        for action in actions:
            if action.kind == "queue":
                assert action.skill in names.SKILLS and action.topic, (node.id, action)


def test_given_small_toml_without_prompts_when_loaded_then_menu_error(tmp_path: Path) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text('[menu]\nstart = "main"\n', encoding="utf-8")
    with pytest.raises(MenuError, match=r"tiny\.toml: prompts: missing"):
        load_menu(path)


def test_given_small_toml_missing_code_prompts_when_loaded_then_menu_error_names_the_first(tmp_path: Path) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text('[prompts]\ntd-agi-down = "Xin giữ máy."\n', encoding="utf-8")
    with pytest.raises(MenuError, match="prompt 'num_0' is needed by the code"):
        load_menu(path)


@pytest.mark.parametrize(("old", "new", "message"), [
    ('"1" = { goto = "admin" }', '"1" = { goto = "admn" }',
     "nodes.main.options.1.goto: unknown goto target 'admn'"),
    ('prompts = ["admin_menu"]', 'prompts = ["admin_menus"]',
     "nodes.admin.prompts: prompt 'admin_menus' is used but not defined in [prompts]"),
    ('"2" = { queue = "social", topic = "social" }', '"2" = { queue = "socail", topic = "social" }',
     "nodes.main.options.2.queue: unknown skill 'socail'"),
    ('"4" = { queue = "invest", topic = "invest" }', '"44" = { queue = "invest", topic = "invest" }',
     "nodes.main.options: bad digit key '44'"),
    ('"2" = { queue = "infra", topic = "infra" }', '"a" = { queue = "infra", topic = "infra" }',
     "nodes.infra.options: bad digit key 'a'"),
    ('"2" = { emergency = "114", say = ["emergency_connecting_114"] }', '"2" = { emergency = "112" }',
     "nodes.emergency.options.2.emergency: unknown number '112'"),
    ('"1" = { finish = "callback" }', '"1" = { finish = "callbak" }',
     "nodes.callback_offer.options.1.finish: unknown finish 'callbak'"),
    ('"0" = { queue = "general", topic = "general" }\n"*"', '"0" = { queue = "general" }\n"*"',
     "nodes.admin.options.0.topic: missing"),
    ('"3" = { goto = "infra" }', '"3" = { goto = "infra", queue = "infra" }',
     "nodes.main.options.3: needs exactly one of goto, queue, emergency, finish"),
    ('"2" = { queue = "infra", topic = "infra" }', '"2" = { queue = "infra", topic = "infra", urgent = "yes" }',
     "nodes.infra.options.2.urgent: expected bool"),
    ('attempts = 1\n', 'attempt = 1\n', "nodes.after_lookup.attempt: unknown key"),
    ('attempts = 1\n', 'attempts = 0\n', "nodes.after_lookup.attempts: must be at least 1"),
    ('attempts = 1\n', 'attempts = 200\n', "nodes.after_lookup.attempts: must be at most 9"),
    ('attempts = 1\n', 'attempts = true\n', "nodes.after_lookup.attempts: expected int"),
    ('timeout_ms = 5000', 'timeout_ms = "5s"', "defaults.timeout_ms: expected int"),
    ('invalid = "invalid_choice"', 'invalid = "wrong_key"',
     "defaults.invalid: prompt 'wrong_key' is used but not defined"),
    ('on_fail = { queue = "general", topic = "ivr_failed" }', 'on_fail = { queue = "operators", topic = "x" }',
     "defaults.on_fail.queue: unknown skill 'operators'"),
    ('type = "lookup"', 'type = "lookups"', "nodes.lookup.type: unknown node type 'lookups'"),
    ('on_found = "after_lookup"', 'on_found = "after"', "nodes.lookup.on_found: unknown goto target 'after'"),
    ('unknown_status = "status_unknown"', 'unknown_status = "status_other"',
     "nodes.lookup.unknown_status: prompt 'status_other' is used but not defined"),
    ('no_deadline_statuses = ["answered_directly"', 'no_deadline_statuses = ["done"',
     "nodes.lookup.no_deadline_statuses: unknown case status 'done'"),
    ('start = "main"', 'start = "mian"', "menu.start: start node 'mian' is not defined"),
    ('num_5_lam = "lăm"\n', '', "prompts: prompt 'num_5_lam' is needed by the code"),
    ('status_overdue = ', 'status_late = ', "prompts: prompt 'status_overdue' is needed by the code"),
    ('td-agi-down = ', 'td_agi_down = ', "prompts: prompt 'td-agi-down' is needed by the code"),
    ('goodbye = "', 'Goodbye = "', "prompts.Goodbye: bad prompt id"),
    ('invalid_choice = "Lựa chọn không hợp lệ."', 'invalid_choice = "  "',
     "prompts.invalid_choice: expected a non-empty"),
    ('[defaults.say]\nqueue', '[defaults.said]\nqueue', "defaults.said: unknown key"),
])
def test_given_broken_menu_when_loaded_then_menu_error_names_the_mistake(
        tmp_path: Path, old: str, new: str, message: str) -> None:
    path = broken(tmp_path, old, new)
    with pytest.raises(MenuError) as caught:
        load_menu(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_given_no_callback_offer_node_when_loaded_then_menu_error_names_the_agi_route(tmp_path: Path) -> None:
    with pytest.raises(MenuError, match="queue-exit route: start node 'callback_offer' is not defined"):
        load_menu(broken(tmp_path, "[nodes.callback_offer", "[nodes.call_back", count=2))


def test_given_invalid_toml_when_loaded_then_menu_error(tmp_path: Path) -> None:
    with pytest.raises(MenuError, match="not valid TOML"):
        load_menu(broken(tmp_path, "[nodes.main]\n", "[nodes.main\n"))


def test_given_duplicate_option_key_when_loaded_then_menu_error(tmp_path: Path) -> None:
    with pytest.raises(MenuError, match="not valid TOML"):
        load_menu(broken(tmp_path, '"2" = { queue = "social"', '"1" = { queue = "social"'))


def test_given_missing_file_when_loaded_then_menu_error(tmp_path: Path) -> None:
    with pytest.raises(MenuError, match="cannot read the menu file"):
        load_menu(tmp_path / "nope.toml")
