"""name keys: works' names stored once per usual form, folded as prompts are read

Names are now folded through Unicode TR39 confusable prototypes, with accents, stop
words and plurals dropped, and a creator is stored under several forms ("Vermeer,
Johannes", "J. Vermeer", a distinctive surname alone): every row of work_names is
recomputed from the works' titles and creators.

Revision ID: 2026_11_28_0400_name_keys
Revises: 20261124_1110
Create Date: 2026-11-28 04:00:00
"""

import re
import unicodedata
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from rights.names import stored_keys

revision: str = "2026_11_28_0400_name_keys"
down_revision: str | None = "20261124_1110"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WORKS = sa.table("works", sa.column("id"), sa.column("title"), sa.column("creator"))
_NAMES = sa.table("work_names", sa.column("work_id"), sa.column("kind"), sa.column("key"))


def _rewrite(keys_of: Callable[[str, str], list[tuple[str, str]]]) -> None:
    bind = op.get_bind()
    bind.execute(_NAMES.delete())
    rows = [
        {"work_id": work_id, "kind": kind, "key": key}
        for work_id, title, creator in bind.execute(
            sa.select(_WORKS.c.id, _WORKS.c.title, _WORKS.c.creator).order_by(_WORKS.c.id)
        )
        for kind, key in keys_of(title, creator)
    ]
    if rows:
        bind.execute(_NAMES.insert(), rows)


def upgrade() -> None:
    _rewrite(stored_keys)


def _old_key(text: str) -> str | None:
    """The single key of the rules before this revision, frozen here for downgrade."""
    visible = "".join(c for c in text if unicodedata.category(c) != "Cf")
    folded = unicodedata.normalize("NFKC", visible).casefold()
    tokens = [t for t in re.split(r"[^\w]+", folded.replace("_", " ")) if t]
    key = " ".join(tokens[:32])[:500]
    return key if len(key) >= 3 else None


def _old_keys(title: str, creator: str) -> list[tuple[str, str]]:
    return [
        (kind, key)
        for kind, text in (("title", title), ("creator", creator))
        if (key := _old_key(text)) is not None
    ]


def downgrade() -> None:
    _rewrite(_old_keys)
