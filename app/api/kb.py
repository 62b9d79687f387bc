"""The knowledge base of public services (Art. 9.1): search for everyone, editing for administrators."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["knowledge base"])
