"""GET /audit (search) and /audit/recordings/{recording_id} (player with transcript): recording readers."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from app.web.common.pages import page_user
from app.web.common.templating import Page

router = APIRouter(include_in_schema=False)


@router.get("/audit")
async def search_page(request: Request, page: Page = Depends(page_user("GET", "/audit"))) -> Response:
    raise HTTPException(status_code=501, detail="not built yet")


@router.get("/audit/recordings/{recording_id}")
async def player_page(request: Request, recording_id: int,
                      page: Page = Depends(page_user("GET", "/audit/recordings/{recording_id}"))) -> Response:
    raise HTTPException(status_code=501, detail="not built yet")
