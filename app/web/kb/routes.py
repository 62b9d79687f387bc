"""GET /kb (search, diacritics optional) and /kb/{article_id} (read): every staff member."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.api.cases import in_session
from app.api.kb import ensure_samples
from app.errors import AppError
from app.services import kb, topics
from app.web.common.pages import PageNotFound, page_user
from app.web.common.templating import Page, render
from app.web.kb import strings  # noqa: F401  (registers the page texts)

router = APIRouter(include_in_schema=False)
SECTIONS = ("procedure", "documents", "fees", "time_limit", "where_to_file")
NEVER_EMPTY_NOTE = ("fees", "time_limit")  # an empty one says "see the official procedure", never a guess


def topic_names(session: Session) -> dict[str, str]:
    return {t.code: t.name_vi for t in topics.list_topics(session, active_only=True)}


@router.get("/kb")
async def search_page(request: Request, q: str = Query("", max_length=200), topic: str = Query("", max_length=64),
                      page: Page = Depends(page_user("GET", "/kb"))) -> Response:
    await ensure_samples(request)

    def work(session: Session) -> dict[str, object]:
        return {"articles": kb.search(session, q, topic or None), "topics": topic_names(session)}

    found = await in_session(request, work)
    return render(request, "kb/search.html", {"q": q, "topic": topic, **found}, page=page)


@router.get("/kb/{article_id}")
async def article_page(request: Request, article_id: int, page: Page = Depends(page_user("GET", "/kb/{article_id}")),
                       ) -> Response:
    await ensure_samples(request)

    def work(session: Session) -> dict[str, object]:
        try:
            article = kb.get(session, article_id)
        except AppError as exc:
            raise PageNotFound(str(exc)) from exc
        if not article.active and page.role != "admin":
            raise PageNotFound("inactive")
        return {"article": article, "topics": topic_names(session)}

    found = await in_session(request, work)
    return render(request, "kb/article.html", {**found, "sections": SECTIONS, "noted": NEVER_EMPTY_NOTE}, page=page)
