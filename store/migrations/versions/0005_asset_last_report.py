"""asset last report: which report last observed each asset (rule 5 duplicates)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

Assets of an older database start with no last report: their next undated report counts as a
new observation, which changes no state when it is identical to what is known.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its REFERENCES clause natively; alembic would only offer a
        # batch (copy and drop), which would drop the asset table under its cascading keys.
        op.execute(
            "ALTER TABLE asset ADD COLUMN last_report_id INTEGER REFERENCES report (id)"
        )
        return
    op.add_column(
        "asset",
        sa.Column(
            "last_report_id",
            sa.Integer(),
            sa.ForeignKey("report.id", name="fk_asset_last_report"),
            nullable=True,
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("asset") as batch_op:
        batch_op.drop_column("last_report_id")
