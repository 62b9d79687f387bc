"""The OpenAPI spec fuzzed with schemathesis in-process, for every role and anonymous: no answer is a 5xx.

CI runs a few examples per operation; TD_FUZZ_EXAMPLES=100 (say) runs the long form.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from app.api.auth import ROLES
from app.services import agencies, operators
from tests.support.api_app import add_user, bearer, build_app, login_token
from tests.support.case_seed import seed

pytestmark = pytest.mark.integration
EXAMPLES = int(os.environ.get("TD_FUZZ_EXAMPLES", "3"))
ANONYMOUS = "anonymous"
# Logging out revokes the token the rest of the run signs in with; it is covered by test_auth_api.
SKIPPED = {("POST", "/api/auth/logout")}
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck))


def _world(tmp_path: Path, role: str) -> tuple[Any, dict[str, str]]:
    """A fresh SQLite app per role (an admin's fuzzing may deactivate users), with cases to find."""
    app = build_app(f"sqlite:///{tmp_path / 'fuzz.db'}", tmp_path)
    with app.state.sessions() as session:
        operators.ensure_operators(session, ["1001"])
        seeded = seed(session)
    with app.state.sessions() as session:
        agency_id = seeded.agency_id or agencies.list_agencies(session)[0].id
    if role == ANONYMOUS:
        return app, {}
    add_user(app, f"u-{role}", role, agency_id=agency_id if role in ("focal_point", "agency_head") else None,
             extension="1001" if role == "operator" else None)
    return app, bearer(login_token(app, f"u-{role}"))


def _without_lifespan(app: Any) -> Any:
    """The app as build_app() prepared it: schemathesis' test client must not run the real start-up (AMI, Redis)."""
    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
    return asgi


def _designed_unavailable(case: schemathesis.Case, response: Any) -> bool:
    """A 503 that says which service is down is the designed answer here: this app runs without Asterisk or Redis."""
    if case.path == "/health":
        return response.status_code == 503
    try:
        return response.status_code == 503 and response.json().get("error_id") == "service_unavailable"
    except ValueError:
        return False


def _server_errors(schema: Any, headers: dict[str, str]) -> list[str]:
    """Every operation, positive and negative examples; a 5xx or an unhandled exception is recorded, not raised."""
    found: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE) | operation.as_strategy(
            generation_mode=GenerationMode.NEGATIVE)

        @FUZZ
        @given(case=strategy)
        def run(case: schemathesis.Case) -> None:
            try:
                response = case.call(headers=headers)
            except Exception as exc:  # an exception the app did not turn into a response
                found.append(f"{case.method} {case.formatted_path}: {type(exc).__name__}: {exc}"[:400])
                return
            if response.status_code >= 500 and not _designed_unavailable(case, response):
                found.append(f"{case.method} {case.formatted_path} -> {response.status_code}: "
                             f"{response.text[:200]} | query={case.query} body={str(case.body)[:150]}")

        run()
    return found


@pytest.mark.parametrize("role", [*ROLES, ANONYMOUS])
def test_given_any_request_from_role_when_fuzzing_the_spec_then_no_server_error(tmp_path: Path, role: str) -> None:
    app, headers = _world(tmp_path, role)
    schema = schemathesis.openapi.from_asgi("/openapi.json", _without_lifespan(app))
    errors = _server_errors(schema, headers)
    assert errors == [], "\n".join(dict.fromkeys(errors))
