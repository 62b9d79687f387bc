"""recordings, transcripts, retention, legal holds, and the append-only audit chain

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 17:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_chain',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=48), nullable=False),
    sa.Column('subject', sa.String(length=128), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain')),
    sa.UniqueConstraint('seq', name='uq_audit_chain_seq')
    )
    with op.batch_alter_table('audit_chain', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_chain_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_chain_subject'), ['subject'], unique=False)

    op.create_table('retention_policies',
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('keep_days', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('kind', name=op.f('pk_retention_policies'))
    )
    op.create_table('legal_holds',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=512), nullable=False),
    sa.Column('placed_by', sa.String(length=128), nullable=False),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_legal_holds_case_id_cases'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_legal_holds'))
    )
    op.create_table('recordings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('uniqueid', sa.String(length=64), nullable=False),
    sa.Column('linkedid', sa.String(length=64), nullable=True),
    sa.Column('channel', sa.String(length=128), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('source_path', sa.String(length=512), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('store_path', sa.String(length=512), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('sample_rate', sa.Integer(), nullable=True),
    sa.Column('channels', sa.Integer(), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('compact_path', sa.String(length=512), nullable=True),
    sa.Column('compact_sha256', sa.String(length=64), nullable=True),
    sa.Column('compact_bytes', sa.BigInteger(), nullable=True),
    sa.Column('compact_format', sa.String(length=32), nullable=True),
    sa.Column('ingested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('transcript_status', sa.String(length=16), server_default='none', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('error', sa.String(length=512), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_recordings_case_id_cases'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recordings')),
    sa.UniqueConstraint('source_path', name=op.f('uq_recordings_source_path'))
    )
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recordings_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recordings_linkedid'), ['linkedid'], unique=False)
        batch_op.create_index(batch_op.f('ix_recordings_started_at'), ['started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_recordings_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_recordings_uniqueid'), ['uniqueid'], unique=False)

    op.create_table('transcripts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('model', sa.String(length=128), nullable=False),
    sa.Column('sample_rate', sa.Integer(), nullable=False),
    sa.Column('segments', sa.JSON(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('text_search', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_transcripts_recording_id_recordings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transcripts')),
    sa.UniqueConstraint('recording_id', name=op.f('uq_transcripts_recording_id'))
    )

    # The audit chain is append-only: the database itself refuses UPDATE and DELETE (and, on PostgreSQL,
    # TRUNCATE), and on PostgreSQL the app's own role loses those privileges as well.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""CREATE FUNCTION audit_chain_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_chain is append-only'; END $$""")
        op.execute("CREATE TRIGGER audit_chain_no_change BEFORE UPDATE OR DELETE ON audit_chain "
                   "FOR EACH ROW EXECUTE FUNCTION audit_chain_append_only()")
        op.execute("CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_append_only()")
        op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit_chain FROM PUBLIC, CURRENT_USER")
    else:
        op.execute("CREATE TRIGGER audit_chain_no_update BEFORE UPDATE ON audit_chain "
                   "BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only'); END")
        op.execute("CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain "
                   "BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_chain_no_change ON audit_chain")
        op.execute("DROP TRIGGER IF EXISTS audit_chain_no_truncate ON audit_chain")
        op.execute("DROP FUNCTION IF EXISTS audit_chain_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_chain_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_chain_no_delete")
    op.drop_table('transcripts')
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recordings_uniqueid'))
        batch_op.drop_index(batch_op.f('ix_recordings_state'))
        batch_op.drop_index(batch_op.f('ix_recordings_started_at'))
        batch_op.drop_index(batch_op.f('ix_recordings_linkedid'))
        batch_op.drop_index(batch_op.f('ix_recordings_case_id'))

    op.drop_table('recordings')
    op.drop_table('legal_holds')
    op.drop_table('retention_policies')
    with op.batch_alter_table('audit_chain', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_chain_subject'))
        batch_op.drop_index(batch_op.f('ix_audit_chain_at'))

    op.drop_table('audit_chain')
