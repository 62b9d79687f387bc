"""Every route, every role: allowed exactly as app.api.policy.POLICY says, refused with 403 (401 when anonymous)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.api.auth import ROLES
from app.api.policy import ANONYMOUS, POLICY
from app.db.models_cases import AuditLog
from app.services import agencies, operators
from tests.support.api_app import add_user, bearer, build_app, client_for, login_token

pytestmark = pytest.mark.integration
# Reference lists and the caller's own identity are not records: reading them is not audited.
NOT_RECORDS = {"/api/auth/me", "/api/agencies", "/api/topics", "/api/kb", "/api/kb/{article_id}", "/kb",
               "/kb/{article_id}"}
SESSION_ENDERS = {("POST", "/api/auth/logout")}  # would revoke the shared token: gets a token of its own


def api_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(METHOD, path template) of every APIRoute, routers included (FastAPI may include them lazily)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: included routes are copied into app.routes
        for route in app.routes:
            if isinstance(route, APIRoute):
                yield from ((m, route.path) for m in sorted(route.methods or ()))
        return
    for ctx in iter_route_contexts(app.routes):
        if isinstance(ctx.original_route, APIRoute) and ctx.path and ctx.methods:
            yield from ((m, ctx.path) for m in sorted(ctx.methods))


def dummy_path(template: str) -> str:
    """Path parameters filled with values of the right shape that name nothing (the answer is then 404/422)."""
    return re.sub(r"\{(\w+)\}", lambda m: "2026-01-01" if m.group(1) == "day" else "999999", template)


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> tuple[TestClient, dict[str, str]]:
    app = build_app(database_url, tmp_path)
    with app.state.sessions() as session:
        operators.ensure_operators(session, ["1001"])
        agency_id = agencies.create_agency(session, {"kind": "department", "name": "Sở Y tế",
                                                     "jurisdiction": "quang-nam"}).id
    for role in ROLES:
        add_user(app, f"u-{role}", role, agency_id=agency_id if role in ("focal_point", "agency_head") else None,
                 extension="1001" if role == "operator" else None)
    return client_for(app), {role: login_token(app, f"u-{role}") for role in ROLES}


def _call(client: TestClient, method: str, path: str, token: str | None) -> int:
    headers = bearer(token) if token else {}
    body: dict[str, object] | None = {} if method in ("POST", "PUT", "PATCH") else None
    return client.request(method, dummy_path(path), headers=headers, json=body).status_code


def _audit_rows(client: TestClient) -> int:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return session.scalar(select(func.count()).select_from(AuditLog)) or 0


def test_given_app_when_listing_routes_then_every_route_is_in_the_policy(database_url: str, tmp_path: Path) -> None:
    app = build_app(database_url, tmp_path)
    routes = set(api_routes(app))
    assert len(routes) > 40
    assert sorted(routes - set(POLICY)) == []
    assert sorted(set(POLICY) - routes) == []  # no stale entries either
    for key, allowed in POLICY.items():
        assert allowed <= set(ROLES) | {ANONYMOUS}, key


def test_given_every_role_when_calling_every_route_then_allowed_or_refused_as_the_policy_says(
        world: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = world
    wrong: list[str] = []
    for method, path in sorted(api_routes(client.app)):  # type: ignore[arg-type]
        allowed = POLICY[(method, path)]
        for role in (*ROLES, ANONYMOUS):
            token = None if role == ANONYMOUS else tokens[role]
            if token and (method, path) in SESSION_ENDERS:
                token = login_token(client.app, f"u-{role}")  # type: ignore[arg-type]
            status = _call(client, method, path, token)
            refusal = 401 if role == ANONYMOUS else 403
            ok = status not in (401, 403) if role in allowed else status == refusal
            if not ok:
                wrong.append(f"{method} {path} as {role}: {status} ({'allowed' if role in allowed else 'refused'})")
    assert wrong == []


def test_given_auditor_when_reading_records_then_each_read_is_logged(world: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = world
    unlogged: list[str] = []
    for method, path in sorted(api_routes(client.app)):  # type: ignore[arg-type]
        allowed = POLICY[(method, path)]
        if method != "GET" or "auditor" not in allowed or ANONYMOUS in allowed or path in NOT_RECORDS:
            continue
        before = _audit_rows(client)
        status = _call(client, method, path, tokens["auditor"])
        if status == 200 and _audit_rows(client) <= before:
            unlogged.append(path)
    assert unlogged == []


def test_given_bootstrap_token_when_calling_then_it_still_works_beside_logins(database_url: str,
                                                                            tmp_path: Path) -> None:
    client = client_for(build_app(database_url, tmp_path, {"boot": "supervisor"}))
    assert client.get("/api/calls", headers=bearer("boot")).status_code == 200
    assert client.get("/api/admin/users", headers=bearer("boot")).status_code == 403
    assert client.get("/api/calls", headers=bearer("not-a-token")).status_code == 401
