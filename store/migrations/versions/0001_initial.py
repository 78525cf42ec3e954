"""initial schema: spaces, members, assets, findings, reports, states, history, drift

Revision ID: 0001
Revises: 
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import store.models


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('space',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('asset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('first_seen_at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_observed_at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['space_id'], ['space.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('space_id', 'key')
    )
    op.create_table('finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('severity', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('remediation', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['space_id'], ['space.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('space_id', 'key')
    )
    op.create_table('member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('user', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.ForeignKeyConstraint(['space_id'], ['space.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('space_id', 'user')
    )
    op.create_table('report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('assets_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('scanned_at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('dated', sa.Boolean(), nullable=False),
    sa.Column('partial', sa.Boolean(), nullable=False),
    sa.Column('ingested_at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ingested_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('asset_count', sa.Integer(), nullable=False),
    sa.Column('result_count', sa.Integer(), nullable=False),
    sa.Column('drift_count', sa.Integer(), nullable=False),
    sa.Column('fixed_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['space_id'], ['space.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_content_hash'), ['content_hash'], unique=False)
        batch_op.create_index('ix_report_space_assets', ['space_id', 'assets_hash'], unique=False)

    op.create_table('coverage',
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('complete_at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['asset.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ),
    sa.PrimaryKeyConstraint('asset_id', 'kind')
    )
    op.create_table('drift_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('detected_at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('from_status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('to_status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['asset.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['finding_id'], ['finding.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ),
    sa.ForeignKeyConstraint(['space_id'], ['space.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('drift_event', schema=None) as batch_op:
        batch_op.create_index('ix_drift_event_space_time', ['space_id', 'detected_at'], unique=False)

    op.create_table('result_state',
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['asset.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['finding_id'], ['finding.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ),
    sa.PrimaryKeyConstraint('asset_id', 'finding_id')
    )
    op.create_table('state_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('old_status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('new_status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('implied', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['asset.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['finding_id'], ['finding.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('state_change', schema=None) as batch_op:
        batch_op.create_index('ix_state_change_pair', ['asset_id', 'finding_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_state_change_report_id'), ['report_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('state_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_state_change_report_id'))
        batch_op.drop_index('ix_state_change_pair')

    op.drop_table('state_change')
    op.drop_table('result_state')
    with op.batch_alter_table('drift_event', schema=None) as batch_op:
        batch_op.drop_index('ix_drift_event_space_time')

    op.drop_table('drift_event')
    op.drop_table('coverage')
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index('ix_report_space_assets')
        batch_op.drop_index(batch_op.f('ix_report_content_hash'))

    op.drop_table('report')
    op.drop_table('member')
    op.drop_table('finding')
    op.drop_table('asset')
    op.drop_table('space')
