"""cases

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import store.models


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('space_settings',
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('auto_create_drift_cases', sa.Boolean(), nullable=False),
    sa.Column('aggregation_window_hours', sa.Integer(), nullable=False),
    sa.Column('auto_close_cases_when_fixed', sa.Boolean(), nullable=False),
    sa.Column('default_role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.ForeignKeyConstraint(['space_id'], ['space.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('space_id')
    )
    op.create_table('case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('updated_at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('window_closes_at', store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finalized_at', store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('close_reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('integration', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('destination', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('error_message', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['finding_id'], ['finding.id'], ),
    sa.ForeignKeyConstraint(['space_id'], ['space.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.create_index('ix_case_pending_finding', ['space_id', 'finding_id', 'status'], unique=False)
        batch_op.create_index('ix_case_space_status', ['space_id', 'status'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('asset_id', sa.Integer(), nullable=True),
    sa.Column('at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['asset.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['space_id'], ['space.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_case', ['case_id', 'id'], unique=False)

    op.create_table('case_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('added_at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('fixed_at', store.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['asset_id'], ['asset.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['finding_id'], ['finding.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'asset_id', 'finding_id')
    )
    with op.batch_alter_table('case_item', schema=None) as batch_op:
        batch_op.create_index('ix_case_item_pair', ['asset_id', 'finding_id'], unique=False)
    # Spaces made by the previous release get Mondoo's defaults.
    op.execute(
        "INSERT INTO space_settings (space_id, auto_create_drift_cases, aggregation_window_hours,"
        " auto_close_cases_when_fixed, default_role) SELECT id, true, 4, true, 'viewer' FROM space"
    )


def downgrade() -> None:
    with op.batch_alter_table('case_item', schema=None) as batch_op:
        batch_op.drop_index('ix_case_item_pair')

    op.drop_table('case_item')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_case')

    op.drop_table('audit_event')
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_space_status')
        batch_op.drop_index('ix_case_pending_finding')

    op.drop_table('case')
    op.drop_table('space_settings')
