"""reports and reviews: a call's restoration report as a job (its state, files and
audit entry), the once-per-weights explanation checks, and conservators' decisions

Revision ID: 2026_11_28_1000_reports_and_reviews
Revises: 2026_11_28_0910_near_copies_and_disputes
Create Date: 2026-11-28 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "2026_11_28_1000_reports_and_reviews"
down_revision: str | None = "2026_11_28_0910_near_copies_and_disputes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "call_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("state", _STR(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("report_sha256", _STR(length=64), nullable=True),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("audit_index", sa.BigInteger(), nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["model_calls.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("call_id"),
    )
    op.create_index(op.f("ix_call_reports_state"), "call_reports", ["state"], unique=False)
    op.create_table(
        "explain_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("weights_sha256", _STR(length=64), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("result_sha256", _STR(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["ai_models.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("weights_sha256"),
    )
    op.create_index(
        op.f("ix_explain_checks_model_id"), "explain_checks", ["model_id"], unique=False
    )
    op.create_table(
        "call_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_key_id", sa.Integer(), nullable=False),
        sa.Column("reviewer", _STR(length=200), nullable=False),
        sa.Column("decision", _STR(length=10), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("report_sha256", _STR(length=64), nullable=False),
        sa.Column("audit_index", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["model_calls.id"]),
        sa.ForeignKeyConstraint(["reviewer_key_id"], ["api_keys.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_call_reviews_call_id"), "call_reviews", ["call_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_call_reviews_call_id"), table_name="call_reviews")
    op.drop_table("call_reviews")
    op.drop_index(op.f("ix_explain_checks_model_id"), table_name="explain_checks")
    op.drop_table("explain_checks")
    op.drop_index(op.f("ix_call_reports_state"), table_name="call_reports")
    op.drop_table("call_reports")
