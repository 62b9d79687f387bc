"""GET /wallboard: the supervisors' live wallboard; its data comes from /api/wallboard and the WebSocket."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.web.common import i18n
from app.web.common.pages import page_user
from app.web.common.templating import Page, render
from app.web.wallboard import strings  # noqa: F401  (registers the page texts)

router = APIRouter(include_in_schema=False)
SPY_MODES = ("listen", "whisper", "barge")


@router.get("/wallboard")
async def wallboard_page(request: Request, page: Page = Depends(page_user("GET", "/wallboard"))) -> Response:
    """?full=1 opens it in the wall-display layout (no header, large figures)."""
    context = {"full": request.query_params.get("full") == "1",
               "spy_modes": SPY_MODES, "js_texts": i18n.texts_with_prefix(page.lang, "wb.", "con.reason.")}
    return render(request, "wallboard/wallboard.html", context, page=page)
