"""model versions: a name holds several versions, and an admin may retire one

A model's name was unique; now the pair (name, version) is, so a new version of a
model is registered under its name. Retirements are kept in their own table, added
and never changed, like twin releases: the model's row stays as it was registered.

Revision ID: 2026_11_28_0450_model_versions
Revises: 2026_11_28_0410_weights_twins
Create Date: 2026-11-28 04:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "2026_11_28_0450_model_versions"
down_revision: str | None = "2026_11_28_0410_weights_twins"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The initial revision left the name's unique constraint unnamed: PostgreSQL named it
# itself, SQLite keeps none, so batch mode names it by this convention to drop it.
_SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _name_constraint() -> str:
    return (
        "ai_models_name_key" if op.get_bind().dialect.name == "postgresql" else "uq_ai_models_name"
    )


def upgrade() -> None:
    with op.batch_alter_table("ai_models", naming_convention=_SQLITE_NAMES) as batch_op:
        batch_op.drop_constraint(_name_constraint(), type_="unique")
        batch_op.create_unique_constraint("uq_ai_models_name_version", ["name", "version"])
    op.create_table(
        "model_retirements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("retired_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("audit_index", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["ai_models.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("model_id"),
    )


def downgrade() -> None:
    # Fails, as it should, while two versions share a name: the old schema cannot hold them.
    op.drop_table("model_retirements")
    with op.batch_alter_table("ai_models", naming_convention=_SQLITE_NAMES) as batch_op:
        batch_op.drop_constraint("uq_ai_models_name_version", type_="unique")
        batch_op.create_unique_constraint(_name_constraint(), ["name"])
