"""tickets

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import store.models


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('integration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('flavor', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('token_env', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('token_file', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('project', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('issue_type', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('auto_close_tickets', sa.Boolean(), nullable=False),
    sa.Column('create_drift_tickets', sa.Boolean(), nullable=False),
    sa.Column('drift_destination', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('options', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['space_id'], ['space.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('space_id', 'name')
    )
    op.create_table('outbox_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('destination', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('due_at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lease_until', store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('leased_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('maybe_sent', sa.Boolean(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('created_at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['integration_id'], ['integration.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('outbox_job', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_due', ['status', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_job_case_id'), ['case_id'], unique=False)

    op.create_table('ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('destination', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', store.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['integration_id'], ['integration.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'integration_id')
    )


def downgrade() -> None:
    op.drop_table('ticket')
    with op.batch_alter_table('outbox_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_job_case_id'))
        batch_op.drop_index('ix_outbox_due')

    op.drop_table('outbox_job')
    op.drop_table('integration')
