"""console, knowledge base, transfers

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 14:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'kb_articles',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('title', sa.String(length=256), nullable=False),
        sa.Column('topic', sa.String(length=64), nullable=True),
        sa.Column('procedure', sa.Text(), nullable=False),
        sa.Column('documents', sa.Text(), nullable=False),
        sa.Column('fees', sa.Text(), nullable=False),
        sa.Column('time_limit', sa.Text(), nullable=False),
        sa.Column('where_to_file', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=256), nullable=True),
        sa.Column('sample', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('search_text', sa.Text(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_articles')),
    )
    with op.batch_alter_table('kb_articles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_articles_topic'), ['topic'], unique=False)

    op.create_table(
        'console_events',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('extension', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('uniqueid', sa.String(length=64), nullable=True),
        sa.Column('dedupe_key', sa.String(length=160), nullable=True),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('published', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_console_events')),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_console_events_dedupe_key')),
    )
    with op.batch_alter_table('console_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_events_extension'), ['extension'], unique=False)
        batch_op.create_index(batch_op.f('ix_console_events_uniqueid'), ['uniqueid'], unique=False)

    op.create_table(
        'transfers',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('state', sa.String(length=24), nullable=False),
        sa.Column('call_uniqueid', sa.String(length=64), nullable=False),
        sa.Column('caller_channel', sa.String(length=128), nullable=True),
        sa.Column('operator_channel', sa.String(length=128), nullable=True),
        sa.Column('extension', sa.String(length=16), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=True),
        sa.Column('target_number', sa.String(length=32), nullable=False),
        sa.Column('target_name', sa.String(length=256), nullable=True),
        sa.Column('case_code', sa.String(length=16), nullable=True),
        sa.Column('outcome', sa.String(length=32), nullable=True),
        sa.Column('detail', sa.String(length=256), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('history', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_transfers')),
    )
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfers_call_uniqueid'), ['call_uniqueid'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfers_extension'), ['extension'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfers_case_code'), ['case_code'], unique=False)

    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topics', sa.JSON(), nullable=True))

    with op.batch_alter_table('operators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device_state', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('wrapup_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('state_since', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_result', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('handled_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('case_code', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        for column in ('case_code', 'handled_by', 'last_attempt_at', 'last_result', 'attempts'):
            batch_op.drop_column(column)
    with op.batch_alter_table('operators', schema=None) as batch_op:
        for column in ('state_since', 'wrapup_until', 'device_state'):
            batch_op.drop_column(column)
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_column('topics')
    op.drop_table('transfers')
    op.drop_table('console_events')
    op.drop_table('kb_articles')
