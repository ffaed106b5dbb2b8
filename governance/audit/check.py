"""`govern audit check`: recompute the whole tree from the database and compare it with
the stored subtree hashes and every signed checkpoint. Finds rows that were altered,
deleted, inserted or reordered behind the append-only triggers' back."""

import json
from collections.abc import Sequence
from datetime import UTC

from sqlmodel import Session, col, select

from governance.audit.log import AuditLog
from governance.audit.merkle import MemoryTree, leaf_hash
from governance.audit.models import AuditCheckpoint, AuditEntry, AuditNode
from governance.audit.notes import NoteError, open_checkpoint

MAX_PROBLEMS = 50


def check_log(session: Session, audit: AuditLog, kept: Sequence[str] = ()) -> tuple[int, list[str]]:
    """(entries checked, problems found); no problems means the log is intact.

    `kept` are checkpoints saved outside the database (from exports, say): the only
    way to notice entries cut off the end together with their checkpoints."""
    problems: list[str] = []
    leaves: list[bytes] = []
    for row in session.exec(select(AuditEntry).order_by(col(AuditEntry.idx))):
        if row.idx != len(leaves):
            problems.append(f"entry {len(leaves)} is missing (next row has index {row.idx})")
            break
        try:
            signed = json.loads(row.entry)
        except ValueError:
            signed = None
        if not isinstance(signed, dict) or signed.get("index") != row.idx:
            stated = signed.get("index") if isinstance(signed, dict) else None
            problems.append(f"entry {row.idx}: its bytes say index {stated} (moved or altered)")
        elif _columns(row) != {k: signed.get(k) for k in ("kind", "subject", "actor", "at")}:
            # Queries and exports select by these columns: they must say what was signed.
            problems.append(
                f"entry {row.idx}: its kind, subject, actor or time columns "
                "differ from its signed bytes"
            )
        leaves.append(leaf_hash(row.entry))
    tree = MemoryTree(leaves)
    expected = tree.perfect_nodes()
    stored = {(n.level, n.idx): n.hash for n in session.exec(select(AuditNode))}
    for node, value in sorted(expected.items()):
        if stored.get(node) != value:
            what = "leaf hash" if node[0] == 0 else f"subtree hash (level {node[0]})"
            problems.append(f"{what} {node[1]} does not match the entries")
    for node in sorted(set(stored) - set(expected)):
        problems.append(f"stored subtree hash {node} covers entries that do not exist")
    checkpoints = list(session.exec(select(AuditCheckpoint).order_by(col(AuditCheckpoint.size))))
    for checkpoint in checkpoints:
        where = f"checkpoint at size {checkpoint.size}"
        try:
            signed = open_checkpoint(checkpoint.note, audit.verifier_key)
        except NoteError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if signed.size != checkpoint.size or signed.root != checkpoint.root_hash:
            problems.append(f"{where}: the stored row disagrees with its signed note")
        elif checkpoint.size > tree.size:
            problems.append(f"{where}: the log has only {tree.size} entries (rows deleted)")
        elif tree.root(checkpoint.size) != signed.root:
            problems.append(
                f"{where}: the entries no longer hash to the signed root "
                "(rows altered, inserted or reordered)"
            )
    for number, note in enumerate(kept, start=1):
        where = f"kept checkpoint {number}"
        try:
            signed = open_checkpoint(note, audit.verifier_key)
        except NoteError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if signed.size > tree.size:
            problems.append(
                f"{where}: it signs {signed.size} entries, the log has "
                f"{tree.size} (entries were cut off)"
            )
        elif tree.root(signed.size) != signed.root:
            problems.append(
                f"{where}: the log's first {signed.size} entries no longer hash to its root"
            )
    if checkpoints and checkpoints[-1].size < tree.size:
        problems.append(
            f"entries {checkpoints[-1].size}..{tree.size - 1} are not covered "
            "by any signed checkpoint (inserted outside the service)"
        )
    return tree.size, problems[:MAX_PROBLEMS]


def _columns(row: AuditEntry) -> dict[str, str]:
    at = row.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return {"kind": row.kind, "subject": row.subject, "actor": row.actor, "at": at}
