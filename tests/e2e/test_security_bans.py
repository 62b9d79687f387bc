"""Bans: repeated failed SIP registrations or AMI logins from one address get it refused by Asterisk for a while."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from app.db.models_recordings import AuditChainEntry
from tests.e2e.conftest import Env
from tests.support.sipp import HEADER, caller_scenario, register_message, register_scenario
from tests.support.waiting import wait_until

pytestmark = pytest.mark.asterisk

SIP_ATTACKER = "127.0.0.5"  # never 127.0.0.1 (the app, the tests) nor 127.0.0.2/3 (the trunk, the phones)
AMI_ATTACKER = "127.0.0.6"
FAILURES, BAN_S = 3, 8


def _health(env: Env) -> dict[str, Any]:
    return env.stack.health()


@pytest.fixture(scope="module")
def banning(env: Env) -> Iterator[Env]:
    """The web app restarted with a short ban, and back as it was afterwards (later tests share it)."""
    web = env.stack.web
    original = web.settings
    web.stop()
    web.settings = original.model_copy(update={"ban_failures": FAILURES, "ban_window_s": 60, "ban_duration_s": BAN_S})
    web.start()
    try:
        # Only the AMI lease holder counts failures: wait until this web app is the one acting.
        wait_until(lambda: _health(env).get("bans", {}).get("acting"), "the web app acting on bans", timeout=60)
        yield env
    finally:
        for address in (SIP_ATTACKER, AMI_ATTACKER):
            env.api.delete(f"/api/admin/bans/{address}")
        web.stop()
        web.settings = original
        web.start()
        wait_until(lambda: _health(env).get("status") == "ok", "a green /health after the web app's restart",
                   timeout=90)


def _register_answered(env: Env, ip: str, code: str) -> bool:
    """One REGISTER without credentials from ip: is it answered with this code (401: served, 403: banned)?"""
    xml = (HEADER + '<scenario name="probe">\n' + register_message("1001", "x", 1, False)
           + f'<recv response="{code}"/>\n</scenario>\n')
    return env.sipp.scenario(xml, [], ip=ip, timeout_s=5).wait() == 0


def _banned(env: Env, address: str) -> dict[str, Any] | None:
    response = env.api.get("/api/admin/bans")
    assert response.status_code == 200, response.text
    return next((b for b in response.json() if b["address"] == address), None)


def _ami_login(ip: str, secret: str, port: int, username: str) -> str:
    """A raw AMI login from this source address; returns Asterisk's answer."""
    with socket.socket() as sock:
        sock.bind((ip, 0))
        sock.settimeout(5)
        sock.connect(("127.0.0.1", port))
        sock.recv(100)  # the banner
        sock.sendall(f"Action: Login\r\nUsername: {username}\r\nSecret: {secret}\r\nEvents: off\r\n\r\n".encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
        return answer.decode(errors="replace")


def _audited(env: Env, action: str, address: str) -> bool:
    with env.sessions() as session:
        return session.scalar(select(AuditChainEntry.id).where(
            AuditChainEntry.action == action, AuditChainEntry.subject == f"address:{address}")) is not None


def test_given_failed_registrations_from_one_address_when_repeated_then_it_is_refused_until_the_ban_runs_out(
        banning: Env) -> None:
    env = banning
    wrong = register_scenario("1001", "not-the-password", "refused")
    run = env.sipp.start(["-sf", env.sipp._file("wrong-register.xml", wrong), "-m", str(FAILURES), "-l", "1",
                          env.sipp.target], ip=SIP_ATTACKER, timeout_s=20)
    run.wait(30)
    ban = wait_until(lambda: _banned(env, SIP_ATTACKER), f"a ban on {SIP_ATTACKER}", timeout=60)
    assert (ban["service"], ban["reason"]) == ("PJSIP", "ChallengeResponseFailed")
    # Listed as soon as it is stored; Asterisk refuses the address once it has reread its ACL.
    wait_until(lambda: _register_answered(env, SIP_ATTACKER, "403"), "Asterisk refusing the banned address")
    assert _health(env)["bans"]["active"] >= 1
    # Everyone else is still served: a phone registers from 127.0.0.1, a citizen's call comes in on the trunk.
    phone = env.sipp.scenario(register_scenario("1003", env.stack.secrets["operators"]["1003"], "200"), [],
                              ip="127.0.0.1")
    assert phone.wait() == 0, phone.output()
    unregister = (HEADER + '<scenario name="unregister">\n'
                  + register_message("1003", env.stack.secrets["operators"]["1003"], 1, False, "*", 0)
                  + '<recv response="401" auth="true"/>\n'
                  + register_message("1003", env.stack.secrets["operators"]["1003"], 2, True, "*", 0)
                  + '<recv response="200"/>\n</scenario>\n')
    assert env.sipp.scenario(unregister, [], ip="127.0.0.1").wait() == 0
    call = env.sipp.scenario(caller_scenario(500), ["-s", "1022", "-inf", _caller_csv(env)], ip="127.0.0.2")
    assert call.wait() == 0, call.output()
    # The ban lifts by itself after its duration.
    wait_until(lambda: _register_answered(env, SIP_ATTACKER, "401"), "the ban to run out", timeout=60, every=0.5)
    assert _banned(env, SIP_ATTACKER) is None
    assert _audited(env, "ban", SIP_ATTACKER)
    wait_until(lambda: _audited(env, "ban_expired", SIP_ATTACKER), "the ban's end in the audit chain")


def test_given_failed_ami_logins_from_one_address_when_repeated_then_even_the_right_secret_is_refused_until_lifted(
        banning: Env) -> None:
    env = banning
    port, user, secret = env.settings.ami_port, env.settings.ami_username, env.stack.secrets["ami_secret"]
    for _ in range(FAILURES):
        assert "Authentication failed" in _ami_login(AMI_ATTACKER, "wrong-secret", port, user)
    ban = wait_until(lambda: _banned(env, AMI_ATTACKER), f"a ban on {AMI_ATTACKER}", timeout=60)
    assert (ban["service"], ban["reason"]) == ("AMI", "InvalidPassword")
    # The manager re-applies its named ACL on its own after the reload: wait for it rather than race it.
    wait_until(lambda: "Authentication failed" in _ami_login(AMI_ATTACKER, secret, port, user),
               "the manager refusing the banned address even with the right secret")
    assert "Authentication accepted" in _ami_login("127.0.0.1", secret, port, user)
    assert _health(env)["components"]["ami"]["ok"]
    # An admin lifts it at once.
    assert env.api.delete(f"/api/admin/bans/{AMI_ATTACKER}").status_code == 204
    wait_until(lambda: "Authentication accepted" in _ami_login(AMI_ATTACKER, secret, port, user),
               "the manager serving the address again")
    assert env.api.delete(f"/api/admin/bans/{AMI_ATTACKER}").status_code == 404
    assert _audited(env, "ban_lift", AMI_ATTACKER)


def _caller_csv(env: Env) -> str:
    path = env.sipp.host_dir / "ban-caller.csv"
    path.write_text("SEQUENTIAL\n0905550199;\n")
    return f"{env.sipp.inside_dir}/ban-caller.csv"
