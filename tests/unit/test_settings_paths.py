"""Where Asterisk's own files are, as this host sees them: one rule for queue_log, the ban rules and the rest."""

from __future__ import annotations

from pathlib import Path

from app.services.ban_store import asterisk_etc_dir
from app.services.wallboard_queue_log import queue_log_path
from app.settings import Settings


def test_given_a_chrooted_asterisk_when_a_path_is_asked_then_it_is_under_the_root_as_the_host_sees_it() -> None:
    settings = Settings(asterisk_root="/cache/sid-root", asterisk_instance_dir="/srv/tongdai/t1/")
    assert settings.asterisk_path("log/queue_log") == Path("/cache/sid-root/srv/tongdai/t1/log/queue_log")
    assert queue_log_path(settings) == Path("/cache/sid-root/srv/tongdai/t1/log/queue_log")
    assert asterisk_etc_dir(settings) == Path("/cache/sid-root/srv/tongdai/t1/etc")


def test_given_asterisk_on_the_host_when_a_path_is_asked_then_it_is_the_instance_path_itself() -> None:
    settings = Settings(asterisk_root="", asterisk_instance_dir="/var/lib/tongdai")
    assert settings.asterisk_path("etc") == Path("/var/lib/tongdai/etc")


def test_given_no_known_asterisk_when_a_path_is_asked_then_none() -> None:
    settings = Settings(asterisk_instance_dir="")
    assert settings.asterisk_path("etc") is None and queue_log_path(settings) is None
