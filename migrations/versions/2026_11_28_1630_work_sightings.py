"""work sightings: near copies of registered works seen in governed calls' outputs and in
screened files, for the works' holders

Nothing recorded sightings before this revision: a work's page lists those seen since.

Revision ID: 2026_11_28_1630_work_sightings
Revises: 2026_11_28_1530_ui_sessions
Create Date: 2026-11-28 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "2026_11_28_1630_work_sightings"
down_revision: str | None = "2026_11_28_1530_ui_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "work_sightings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("source", _STR(length=10), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("file_sha256", _STR(length=64), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("method", _STR(length=20), nullable=False),
        sa.Column("band", _STR(length=10), nullable=False),
        sa.Column("altered", sa.Boolean(), nullable=True),
        sa.Column("altered_fraction", sa.Float(), nullable=True),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["model_calls.id"]),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_work_sightings_work_id"), "work_sightings", ["work_id"], unique=False)
    op.create_index(op.f("ix_work_sightings_call_id"), "work_sightings", ["call_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_work_sightings_call_id"), table_name="work_sightings")
    op.drop_index(op.f("ix_work_sightings_work_id"), table_name="work_sightings")
    op.drop_table("work_sightings")
