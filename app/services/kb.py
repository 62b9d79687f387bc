"""The knowledge base (Art. 9.1): articles with a folded search text, so "buu chinh" finds "bưu chính"."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.db.models_console import KbArticle
from app.errors import AppError
from app.services import scheduler_lock
from app.services.case_search import fold

log = logging.getLogger(__name__)
TEXT_FIELDS = ("title", "procedure", "documents", "fees", "time_limit", "where_to_file")
FIELDS = (*TEXT_FIELDS, "topic", "source", "sample", "active")
MAX_RESULTS = 50


class KbArticleNotFound(AppError):
    status_code = 404
    error_id = "kb_article_not_found"
    message_vi = "Không có bài này trong cơ sở tri thức. Tìm lại trong danh sách /api/kb."
    message_en = "No such knowledge-base article. Search again in the list at /api/kb."


def search_text_of(values: Mapping[str, Any]) -> str:
    """Title, body and topic folded (no diacritics, lower case): what the search matches against."""
    parts = [str(values.get(f) or "") for f in (*TEXT_FIELDS, "topic")]
    return fold(" ".join(p for p in parts if p))


def _refresh(article: KbArticle) -> None:
    article.search_text = search_text_of({f: getattr(article, f) for f in (*TEXT_FIELDS, "topic")})


def search(session: Session, query: str = "", topic: str | None = None, *, include_inactive: bool = False,
           limit: int = MAX_RESULTS) -> list[KbArticle]:
    """Every word of the query must appear (with or without diacritics); title matches first.

    A topic narrows to that topic, its sub-topics ("admin" takes "admin.howto") and articles for any topic.
    """
    stmt = select(KbArticle)
    if not include_inactive:
        stmt = stmt.where(KbArticle.active.is_(True))
    words = fold(query).split()
    for word in words:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(KbArticle.search_text.like(f"%{escaped}%", escape="\\"))
    if topic:
        root = topic.split(".")[0]
        stmt = stmt.where(or_(KbArticle.topic.is_(None), KbArticle.topic == "", KbArticle.topic == topic,
                              KbArticle.topic == root, KbArticle.topic.like(f"{root}.%")))
    found = list(session.scalars(stmt.order_by(KbArticle.title).limit(500)))

    def rank(article: KbArticle) -> tuple[int, int, str]:
        title = fold(article.title)
        exact_topic = 0 if topic and article.topic == topic else 1
        return (exact_topic, -sum(w in title for w in words), title)

    return sorted(found, key=rank)[:limit]


def get(session: Session, article_id: int) -> KbArticle:
    article = session.get(KbArticle, article_id)
    if article is None:
        raise KbArticleNotFound(f"article {article_id}")
    return article


def create(session: Session, values: Mapping[str, Any], *, actor: str, now: datetime) -> KbArticle:
    article = KbArticle(**{k: v for k, v in values.items() if k in FIELDS})
    for field in TEXT_FIELDS:
        if getattr(article, field) is None:
            setattr(article, field, "")
    article.updated_at, article.updated_by = now, actor[:128]
    _refresh(article)
    session.add(article)
    session.commit()
    return article


def update(session: Session, article_id: int, values: Mapping[str, Any], *, actor: str, now: datetime) -> KbArticle:
    article = get(session, article_id)
    for key, value in values.items():
        if key in FIELDS:
            setattr(article, key, "" if value is None and key in TEXT_FIELDS else value)
    article.updated_at, article.updated_by = now, actor[:128]
    _refresh(article)
    session.commit()
    return article


def delete(session: Session, article_id: int) -> None:
    """Cases that used the article keep its id and the answer text they gave; the article itself goes."""
    session.delete(get(session, article_id))
    session.commit()


def ensure_samples(session: Session, now: datetime, holder: str = "kb") -> int:
    """On first start (an empty table), add the shipped samples; returns how many. Safe with several processes."""
    from app.services.kb_samples import SAMPLES

    if session.scalar(select(func.count()).select_from(KbArticle)):
        return 0
    if not scheduler_lock.acquire(session, "kb-samples", holder, now, timedelta(minutes=1)):
        return 0  # another process is adding them right now
    try:
        if session.scalar(select(func.count()).select_from(KbArticle)):
            return 0
        for sample in SAMPLES:
            create(session, {**sample, "sample": True}, actor="samples", now=now)
        log.info("knowledge base: added %d sample articles for the province to replace", len(SAMPLES))
        return len(SAMPLES)
    finally:
        scheduler_lock.release(session, "kb-samples", holder)
