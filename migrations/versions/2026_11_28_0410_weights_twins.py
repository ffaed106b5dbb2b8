"""weights twins: an admin's recorded reasons why a model does not carry a twin's clearance

Revision ID: 2026_11_28_0410_weights_twins
Revises: 2026_11_28_0400_name_keys
Create Date: 2026-11-28 04:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "2026_11_28_0410_weights_twins"
down_revision: str | None = "2026_11_28_0400_name_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_twin_releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("twin_id", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("released_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("audit_index", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["ai_models.id"]),
        sa.ForeignKeyConstraint(["twin_id"], ["ai_models.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("model_id", "twin_id"),
    )
    with op.batch_alter_table("model_twin_releases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_model_twin_releases_model_id"), ["model_id"], unique=False
        )
    # Twins are looked up by the weights' hash at every registration and recompute.
    with op.batch_alter_table("ai_models", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ai_models_weights_sha256"), ["weights_sha256"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ai_models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ai_models_weights_sha256"))
    with op.batch_alter_table("model_twin_releases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_twin_releases_model_id"))
    op.drop_table("model_twin_releases")
