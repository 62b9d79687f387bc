"""GET /audit (search) and /audit/recordings/{recording_id} (player with transcript): recording readers.

The pages call the same services as /api/recordings (app.services.recording_search); no rule lives here.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.api.cases import in_session, now_of
from app.errors import AppError
from app.services import audit, topics
from app.services import recording_access as access
from app.services import recording_search as rs
from app.services.recording_audit import record_use
from app.settings import local_zone
from app.web.audit import strings  # noqa: F401  (registers the page texts)
from app.web.common import i18n
from app.web.common.pages import PageNotFound, page_user
from app.web.common.templating import Page, render
from recordings.labels import label

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
VN = local_zone()


def _message(error: AppError | None, lang: str) -> str | None:
    if error is None:
        return None
    return error.message_en if lang == "en" else error.message_vi


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None  # a browser's date field sends ISO dates; anything else is ignored rather than an error page


def _local(value: Any) -> Any:
    return value.astimezone(VN) if value is not None else None


@router.get("/audit")
async def search_page(request: Request, code: str = Query("", max_length=16), phone: str = Query("", max_length=32),
                      agency_id: str = Query("", max_length=12), topic: str = Query("", max_length=64),
                      operator: str = Query("", max_length=64), date_from: str = Query("", max_length=10),
                      date_to: str = Query("", max_length=10), p: int = Query(1, ge=1, le=100000),
                      page: Page = Depends(page_user("GET", "/audit"))) -> Response:
    settings, who = request.app.state.settings, page.principal
    first, last = _day(date_from), _day(date_to)  # an empty form field sends "": no bound
    start, end = rs.day_bounds(first, last)
    query = rs.RecordingQuery(code=code or None, phone=phone or None,
                              agency_id=int(agency_id) if agency_id.isdigit() else None, topic=topic or None,
                              operator=operator or None, started_from=start, started_to=end, limit=PAGE_SIZE,
                              offset=(p - 1) * PAGE_SIZE)

    def work(session: Session) -> dict[str, Any]:
        audit.record_if_audited(session, who, f"GET /audit?{request.url.query}"[:256])
        found, total = rs.search(session, query, who, settings)
        names = rs.agency_names(session)
        rows = [{**rs.view(f, who, names), "local_time": _local(f.recording.started_at)} for f in found]
        return {"rows": rows, "total": total, "agencies": names,
                "topics": {t.code: t.name_vi for t in topics.list_topics(session, active_only=True)}}

    found = await in_session(request, work)
    form = {"code": code, "phone": phone, "agency_id": agency_id, "topic": topic, "operator": operator,
            "date_from": first.isoformat() if first else "", "date_to": last.isoformat() if last else ""}
    kept = {k: v for k, v in form.items() if v}
    pages = max(1, -(-found["total"] // PAGE_SIZE))
    context = {**found, "form": form, "p": p, "pages": pages,
               "prev_url": f"/audit?{urlencode({**kept, 'p': p - 1})}" if p > 1 else None,
               "next_url": f"/audit?{urlencode({**kept, 'p': p + 1})}" if p < pages else None,
               "notice": _message(access.search_notice(who, settings), page.lang)}
    return render(request, "audit/search.html", context, page=page)


@router.get("/audit/recordings/{recording_id}")
async def player_page(request: Request, recording_id: int,
                      page: Page = Depends(page_user("GET", "/audit/recordings/{recording_id}"))) -> Response:
    settings, who, now = request.app.state.settings, page.principal, now_of(request)

    def work(session: Session) -> dict[str, Any]:
        try:
            found = rs.load(session, recording_id, who, settings)
        except access.RecordingNotFound as exc:
            raise PageNotFound(str(exc)) from exc
        except AppError as exc:  # another agency's case, or agencies may not hear recordings: say why
            return {"refused": _message(exc, page.lang), "error_id": exc.error_id}
        audit.record_if_audited(session, who, f"GET /audit/recordings/{recording_id}",
                                case_code=found.case.code if found.case else None)
        try:
            access.check_can_play(who, found.case, settings)
            access.check_playable(found.recording)
            refusal = None
        except AppError as exc:
            refusal = _message(exc, page.lang)
        view = rs.view(found, who, rs.agency_names(session))
        shown = rs.transcript(session, found, who)
        if shown is not None:  # the page shows the transcript: the same entry as GET .../transcript
            record_use(session, who, "transcript", found.recording, case_code=view["case_code"], now=now)
        return {"rec": {**view, "local_time": _local(found.recording.started_at)}, "transcript": shown,
                "refusal": refusal}

    found = await in_session(request, work)
    if "refused" in found:
        return render(request, "audit/refused.html", found, page=page, status=403)
    texts = i18n.texts_with_prefix(page.lang, "aud.")
    speakers = {s: label(s, page.lang) for s in ("citizen", "operator", "agency")}
    return render(request, "audit/player.html", {**found, "js_texts": texts, "speakers": speakers}, page=page)
