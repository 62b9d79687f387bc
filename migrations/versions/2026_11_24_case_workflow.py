"""case workflow: agencies, topics, calendar, cases, case events

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agencies',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('jurisdiction', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=256), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('zalo_id', sa.String(length=64), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['agencies.id'], name=op.f('fk_agencies_parent_id_agencies'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agencies'))
    )
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agencies_parent_id'), ['parent_id'], unique=False)

    op.create_table('agency_contacts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('email', sa.String(length=256), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('zalo_id', sa.String(length=64), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_agency_contacts_agency_id_agencies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_contacts'))
    )
    with op.batch_alter_table('agency_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_contacts_agency_id'), ['agency_id'], unique=False)

    op.create_table('topics',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name_vi', sa.String(length=256), nullable=False),
    sa.Column('art4_group', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['topics.id'], name=op.f('fk_topics_parent_id_topics'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topics')),
    sa.UniqueConstraint('code', name=op.f('uq_topics_code'))
    )
    # The Art. 4 groups, with the topic ids the IVR menu already uses (ivr/menu.toml); admins add more.
    topics = sa.table('topics', sa.column('id', sa.Integer()), sa.column('code', sa.String()),
                      sa.column('name_vi', sa.String()), sa.column('art4_group', sa.Integer()),
                      sa.column('parent_id', sa.Integer()), sa.column('active', sa.Boolean()))
    op.bulk_insert(topics, [
        {'id': 1, 'code': 'admin', 'name_vi': 'Thủ tục hành chính', 'art4_group': 1, 'parent_id': None, 'active': True},
        {'id': 2, 'code': 'social', 'name_vi': 'Kinh tế - xã hội, dịch vụ công', 'art4_group': 2, 'parent_id': None, 'active': True},
        {'id': 3, 'code': 'infra', 'name_vi': 'Sự cố hạ tầng kỹ thuật, vi phạm', 'art4_group': 3, 'parent_id': None, 'active': True},
        {'id': 4, 'code': 'invest', 'name_vi': 'Đầu tư, khu công nghiệp, du lịch, sự kiện', 'art4_group': 4, 'parent_id': None, 'active': True},
        {'id': 5, 'code': 'general', 'name_vi': 'Nội dung khác', 'art4_group': 5, 'parent_id': None, 'active': True},
        {'id': 6, 'code': 'admin.howto', 'name_vi': 'Hướng dẫn thực hiện thủ tục', 'art4_group': 1, 'parent_id': 1, 'active': True},
        {'id': 7, 'code': 'admin.dossier_status', 'name_vi': 'Tra cứu tình trạng hồ sơ', 'art4_group': 1, 'parent_id': 1, 'active': True},
        {'id': 8, 'code': 'admin.complaint', 'name_vi': 'Phản ánh chậm trễ, gây phiền hà', 'art4_group': 1, 'parent_id': 1, 'active': True},
        {'id': 9, 'code': 'admin.regulation_feedback', 'name_vi': 'Phản ánh, kiến nghị về quy định hành chính', 'art4_group': 1, 'parent_id': 1, 'active': True},
    ])
    if op.get_bind().dialect.name == 'postgresql':
        # Rows inserted with explicit ids leave the sequence behind; the next admin insert would collide.
        op.execute("SELECT setval(pg_get_serial_sequence('topics', 'id'), (SELECT max(id) FROM topics))")

    op.create_table('calendar_holidays',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('closed', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_holidays'))
    )
    op.create_table('calendar_extra_working_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('windows', sa.String(length=128), nullable=False),
    sa.Column('reason', sa.String(length=256), nullable=True),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_extra_working_days'))
    )
    op.create_table('calendar_closures',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=256), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_closures'))
    )
    op.create_table('calendar_seasons',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=False),
    sa.Column('spec', sa.String(length=512), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_seasons'))
    )
    op.create_table('case_serials',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_serial', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_case_serials'))
    )
    op.create_table('scheduler_locks',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=128), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_locks'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('route', sa.String(length=256), nullable=False),
    sa.Column('case_code', sa.String(length=16), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_case_code'), ['case_code'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('citizen_name', sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column('citizen_address', sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column('citizen_email', sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column('channel', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('content', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('content_search', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('confidential', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('jurisdiction', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('agency_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('call_uniqueid', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('answer', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('satisfaction', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('focal_point_due', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('head_due', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_index(batch_op.f('ix_cases_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_call_uniqueid'), ['call_uniqueid'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_cases_agency_id_agencies'), 'agencies', ['agency_id'], ['id'],
                                    ondelete='RESTRICT')

    op.create_table('case_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('action', sa.String(length=48), nullable=False),
    sa.Column('from_status', sa.String(length=48), nullable=True),
    sa.Column('to_status', sa.String(length=48), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_events_case_id_cases'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events')),
    sa.UniqueConstraint('case_id', 'seq', name='uq_case_events_case_id_seq')
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_events_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_events_at'), ['at'], unique=False)

    op.create_table('case_attachments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('content_type', sa.String(length=128), nullable=False),
    sa.Column('location', sa.String(length=1024), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_attachments_case_id_cases'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_attachments'))
    )
    with op.batch_alter_table('case_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_attachments_case_id'), ['case_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_attachments_case_id'))
    op.drop_table('case_attachments')
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_events_at'))
        batch_op.drop_index(batch_op.f('ix_case_events_case_id'))
    op.drop_table('case_events')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cases_agency_id_agencies'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_cases_call_uniqueid'))
        batch_op.drop_index(batch_op.f('ix_cases_agency_id'))
        for column in ('version', 'updated_at', 'head_due', 'focal_point_due', 'satisfaction', 'answer',
                       'call_uniqueid', 'agency_id', 'jurisdiction', 'confidential', 'content_search', 'content',
                       'channel', 'citizen_email', 'citizen_address', 'citizen_name'):
            batch_op.drop_column(column)

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_case_code'))
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))
    op.drop_table('audit_log')
    op.drop_table('scheduler_locks')
    op.drop_table('case_serials')
    op.drop_table('calendar_seasons')
    op.drop_table('calendar_closures')
    op.drop_table('calendar_extra_working_days')
    op.drop_table('calendar_holidays')
    op.drop_table('topics')
    with op.batch_alter_table('agency_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_contacts_agency_id'))
    op.drop_table('agency_contacts')
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agencies_parent_id'))
    op.drop_table('agencies')
