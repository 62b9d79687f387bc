"""GET /console: the operator console page; its data comes from the JSON routes and the WebSocket."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.services.operators import PAUSE_REASONS
from app.web.common import i18n
from app.web.common.pages import page_user
from app.web.common.templating import Page, render
from app.web.console import strings  # noqa: F401  (registers the page texts)

router = APIRouter(include_in_schema=False)
EMERGENCY_NUMBERS = ("113", "114", "115")
CALLBACK_RESULTS = ("reached", "no_answer", "busy", "wrong_number")


@router.get("/console")
async def console_page(request: Request, extension: str = Query("", max_length=16, pattern=r"^[0-9]*$"),
                       page: Page = Depends(page_user("GET", "/console"))) -> Response:
    """Operators get their own extension; supervisors and admins may follow one with ?extension=."""
    context = {"extension": extension, "pause_reasons": PAUSE_REASONS, "emergency_numbers": EMERGENCY_NUMBERS,
               "callback_results": CALLBACK_RESULTS, "js_texts": i18n.texts_with_prefix(page.lang, "con.")}
    return render(request, "console/console.html", context, page=page)
