"""detector calibrations: how a detector's raw score reads as a probability, and where
its threshold lies at a stated false-positive rate on a deployment's own real images

Rows are only ever added; the newest row for a model's weights is the one in force.

Revision ID: 2026_11_28_0900_detector_calibrations
Revises: 2026_11_28_0450_model_versions
Create Date: 2026-11-28 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "2026_11_28_0900_detector_calibrations"
down_revision: str | None = "2026_11_28_0450_model_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # This revision's id is longer than the 32 characters alembic gives its version column;
    # alembic records the id after upgrade() returns, so widening here lets PostgreSQL hold
    # it (and the revisions after it). SQLite does not enforce the length. The column stays
    # wide on downgrade: narrowing it could not hold an id this long on the way back up.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "alembic_version",
            "version_num",
            type_=sa.String(length=128),
            existing_type=sa.String(length=32),
            existing_nullable=False,
        )
    op.create_table(
        "detector_calibrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("weights_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("target_fpr", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("calibrated_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("audit_index", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["ai_models.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("detector_calibrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_detector_calibrations_model_id"), ["model_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("detector_calibrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_detector_calibrations_model_id"))
    op.drop_table("detector_calibrations")
