"""case list index: pages of the newest cases without sorting the whole space

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_case_space_created", "case", ["space_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_case_space_created", table_name="case")
