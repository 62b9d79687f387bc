"""spy_sessions: supervisors' listen, whisper and barge sessions, stored before the API answers

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 20:15:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'spy_sessions',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('supervisor_user_id', sa.Integer(), nullable=True),
        sa.Column('actor', sa.String(length=128), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('supervisor', sa.String(length=32), nullable=False),
        sa.Column('supervisor_channel', sa.String(length=128), nullable=True),
        sa.Column('operator', sa.String(length=32), nullable=False),
        sa.Column('operator_channel', sa.String(length=128), nullable=False),
        sa.Column('call_uniqueid', sa.String(length=64), nullable=False),
        sa.Column('call_linkedid', sa.String(length=64), nullable=True),
        sa.Column('mode', sa.String(length=16), nullable=False),
        sa.Column('page_digits', sa.String(length=16), server_default='', nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('end_reason', sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(['supervisor_user_id'], ['users.id'],
                                name=op.f('fk_spy_sessions_supervisor_user_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_spy_sessions')),
    )
    with op.batch_alter_table('spy_sessions', schema=None) as batch_op:
        for column in ('supervisor_user_id', 'operator', 'call_uniqueid', 'call_linkedid', 'state', 'started_at'):
            batch_op.create_index(batch_op.f(f'ix_spy_sessions_{column}'), [column], unique=False)


def downgrade() -> None:
    op.drop_table('spy_sessions')
