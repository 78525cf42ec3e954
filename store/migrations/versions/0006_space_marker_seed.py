"""space marker seed: ticket markers that differ between databases (rule 15)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

Existing spaces get an empty seed and keep the marker formula their tickets were made with.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "space",
        sa.Column("marker_seed", sa.String(length=64), nullable=False, server_default=""),
    )


def downgrade() -> None:
    with op.batch_alter_table("space") as batch_op:
        batch_op.drop_column("marker_seed")
