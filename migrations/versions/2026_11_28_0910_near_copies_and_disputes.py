"""near copies and disputes: each work's near-copy record, postings and reduced pixels;
a work's status (a near-copy of another holder's work is disputed until an admin
resolves it) and what the AI-made-image detectors said of it

Works registered before this revision have no near-copy row: `govern works reindex`
makes them from the stored files; until then they are matched by their hashes only.

Revision ID: 2026_11_28_0910_near_copies_and_disputes
Revises: 2026_11_28_0900_detector_calibrations
Create Date: 2026-11-28 09:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "2026_11_28_0910_near_copies_and_disputes"
down_revision: str | None = "2026_11_28_0900_detector_calibrations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "work_near_copies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("vocabulary_id", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("postings", sa.LargeBinary(), nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.Column("analysis_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("analysis_width", sa.Integer(), nullable=False),
        sa.Column("analysis_height", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("work_id"),
    )
    op.create_table(
        "work_disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("other_work_id", sa.Integer(), nullable=False),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("inliers", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["other_work_id"], ["works.id"]),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("work_disputes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_disputes_work_id"), ["work_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_work_disputes_other_work_id"), ["other_work_id"], unique=False
        )
    with op.batch_alter_table("works", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=20), nullable=False, server_default="registered")
        )
        batch_op.add_column(sa.Column("dispute", sa.JSON(none_as_null=True), nullable=True))
        batch_op.add_column(sa.Column("synthetic", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("works", schema=None) as batch_op:
        batch_op.drop_column("synthetic")
        batch_op.drop_column("dispute")
        batch_op.drop_column("status")
    with op.batch_alter_table("work_disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_disputes_other_work_id"))
        batch_op.drop_index(batch_op.f("ix_work_disputes_work_id"))
    op.drop_table("work_disputes")
    op.drop_table("work_near_copies")
