"""The one place that turns project exceptions into HTTP responses."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from app.errors import AppError, InvalidInput, ServiceUnavailable


def _body(exc: AppError) -> dict[str, str | None]:
    return {"error_id": exc.error_id, "message": exc.message_vi, "message_en": exc.message_en,
            "detail": exc.detail}


def install(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_request: Request, exc: AppError) -> JSONResponse:
        retry_after = getattr(exc, "retry_after", None)  # a spent budget says when to come back
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        return JSONResponse(_body(exc), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        error = InvalidInput(fields)
        return JSONResponse(_body(error), status_code=error.status_code)

    @app.exception_handler(OperationalError)
    async def _db_down(_request: Request, _exc: OperationalError) -> JSONResponse:
        exc = ServiceUnavailable("database")
        return JSONResponse(_body(exc), status_code=exc.status_code)
