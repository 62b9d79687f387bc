"""Imports every table module, so that Base.metadata is complete for Alembic and create_all."""

from app.db import (  # noqa: F401
    models,
    models_auth,
    models_cases,
    models_console,
    models_outbox,
    models_recordings,
    models_spy,
)
