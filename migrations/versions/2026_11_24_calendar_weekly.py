"""calendar_weekly: the working calendar's weekly windows, so the IVR and the SLA read one calendar

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 21:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No row yet: the first process that loads the calendar seeds it from TD_WORKING_HOURS (or the default).
    op.create_table('calendar_weekly',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('spec', sa.String(length=512), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_weekly'))
    )


def downgrade() -> None:
    op.drop_table('calendar_weekly')
