"""The knowledge-base editor for administrators: list, create, edit and delete through CSRF-checked forms."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from app.api.cases import in_session
from app.api.kb import ensure_samples
from app.errors import AppError
from app.services import kb
from app.web.common.pages import PageNotFound, page_user
from app.web.common.templating import Page, render
from app.web.kb import strings  # noqa: F401  (registers the page texts)
from app.web.kb.routes import SECTIONS, topic_names

router = APIRouter(include_in_schema=False)
TEXT_LIMITS = {"title": 256, "procedure": 20000, "documents": 20000, "fees": 4000, "time_limit": 4000,
               "where_to_file": 4000, "source": 256}


def _form_values(title: str, topic: str, procedure: str, documents: str, fees: str, time_limit: str,
                 where_to_file: str, source: str, sample: str, active: str) -> dict[str, Any]:
    texts = {"title": title, "procedure": procedure, "documents": documents, "fees": fees, "time_limit": time_limit,
             "where_to_file": where_to_file, "source": source}
    values: dict[str, Any] = {k: v.strip()[:TEXT_LIMITS[k]] for k, v in texts.items()}
    values["topic"] = topic.strip() or None
    values["source"] = values["source"] or None
    values["sample"], values["active"] = bool(sample), bool(active)
    return values


def _problems(values: dict[str, Any], known_topics: dict[str, str]) -> dict[str, str]:
    problems = {}
    if len(values["title"]) < 3:
        problems["title"] = "kba.title_short"
    if values["topic"] and values["topic"] not in known_topics:
        problems["topic"] = "kba.unknown_topic"
    return problems


def _editor(request: Request, page: Page, values: dict[str, Any], topics: dict[str, str], *,
            article_id: int | None, problems: dict[str, str] | None = None, status: int = 200,
            notice: str = "") -> Response:
    return render(request, "kb/admin_edit.html", {"values": values, "topics": topics, "article_id": article_id,
                                                  "problems": problems or {}, "sections": SECTIONS,
                                                  "notice": notice}, page=page, status=status)


@router.get("/admin/kb")
async def admin_list(request: Request, done: str = "", page: Page = Depends(page_user("GET", "/admin/kb"))) -> Response:
    await ensure_samples(request)

    def work(session: Session) -> dict[str, Any]:
        return {"articles": kb.search(session, include_inactive=True, limit=1000), "topics": topic_names(session)}

    found = await in_session(request, work)
    notice = {"saved": "kba.saved", "deleted": "kba.deleted"}.get(done, "")
    return render(request, "kb/admin_list.html", {**found, "notice": notice}, page=page)


@router.get("/admin/kb/new")
async def new_form(request: Request, page: Page = Depends(page_user("GET", "/admin/kb/new"))) -> Response:
    topics = await in_session(request, topic_names)
    empty = {"title": "", "topic": None, "source": None, "sample": False, "active": True,
             **{s: "" for s in SECTIONS}}
    return _editor(request, page, empty, topics, article_id=None)


@router.post("/admin/kb")
async def create(request: Request, title: str = Form(...), topic: str = Form(""), procedure: str = Form(""),
                 documents: str = Form(""), fees: str = Form(""), time_limit: str = Form(""),
                 where_to_file: str = Form(""), source: str = Form(""), sample: str = Form(""),
                 active: str = Form(""), page: Page = Depends(page_user("POST", "/admin/kb"))) -> Response:
    values = _form_values(title, topic, procedure, documents, fees, time_limit, where_to_file, source, sample, active)
    topics = await in_session(request, topic_names)
    problems = _problems(values, topics)
    if problems:
        return _editor(request, page, values, topics, article_id=None, problems=problems, status=422)
    now = datetime.now(UTC)
    await in_session(request, lambda s: kb.create(s, values, actor=page.principal.actor, now=now))
    return RedirectResponse("/admin/kb?done=saved", status_code=303)


def _load(session: Session, article_id: int) -> Any:
    try:
        return kb.get(session, article_id)
    except AppError as exc:
        raise PageNotFound(str(exc)) from exc


@router.get("/admin/kb/{article_id}")
async def edit_form(request: Request, article_id: int,
                    page: Page = Depends(page_user("GET", "/admin/kb/{article_id}"))) -> Response:
    await ensure_samples(request)

    def work(session: Session) -> tuple[dict[str, Any], dict[str, str]]:
        article = _load(session, article_id)
        return {f: getattr(article, f) for f in kb.FIELDS}, topic_names(session)

    values, topics = await in_session(request, work)
    return _editor(request, page, values, topics, article_id=article_id)


@router.post("/admin/kb/{article_id}")
async def update(request: Request, article_id: int, title: str = Form(...), topic: str = Form(""),
                 procedure: str = Form(""), documents: str = Form(""), fees: str = Form(""),
                 time_limit: str = Form(""), where_to_file: str = Form(""), source: str = Form(""),
                 sample: str = Form(""), active: str = Form(""),
                 page: Page = Depends(page_user("POST", "/admin/kb/{article_id}"))) -> Response:
    values = _form_values(title, topic, procedure, documents, fees, time_limit, where_to_file, source, sample, active)
    topics = await in_session(request, topic_names)
    problems = _problems(values, topics)
    if problems:
        return _editor(request, page, values, topics, article_id=article_id, problems=problems, status=422)
    now = datetime.now(UTC)

    def work(session: Session) -> None:
        _load(session, article_id)
        kb.update(session, article_id, values, actor=page.principal.actor, now=now)

    await in_session(request, work)
    return RedirectResponse("/admin/kb?done=saved", status_code=303)


@router.post("/admin/kb/{article_id}/delete")
async def delete(request: Request, article_id: int, confirm: str = Form(""),
                 page: Page = Depends(page_user("POST", "/admin/kb/{article_id}/delete"))) -> Response:
    def work(session: Session) -> tuple[dict[str, Any], dict[str, str]] | None:
        article = _load(session, article_id)
        if not confirm:
            return {f: getattr(article, f) for f in kb.FIELDS}, topic_names(session)
        kb.delete(session, article_id)
        return None

    kept = await in_session(request, work)
    if kept is not None:
        values, topics = kept
        return _editor(request, page, values, topics, article_id=article_id, status=422, notice="kba.confirm_needed")
    return RedirectResponse("/admin/kb?done=deleted", status_code=303)
