"""audit_chain_head: one row holding the chain's newest seq and hash, updated first by every writer

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 17:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    head = op.create_table('audit_chain_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head'))
    )
    # Start from the chain as it stands (empty on a new database).
    last = op.get_bind().execute(sa.text("SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1")).first()
    op.bulk_insert(head, [{"id": 1, "seq": last[0] if last else 0, "hash": last[1] if last else GENESIS}])


def downgrade() -> None:
    op.drop_table('audit_chain_head')
