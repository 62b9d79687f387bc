"""Bring a database to the latest schema with Alembic (used by the run command and the tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from app.db.session import make_engine
from app.settings import PROJECT_DIR


def alembic_config(url: str) -> Config:
    cfg = Config(str(PROJECT_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_DIR / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    engine = make_engine(url)  # creates the SQLite folder if needed
    engine.dispose()
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
