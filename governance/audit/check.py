"""`govern audit check`: recompute the whole tree from the database and compare it with
the stored subtree hashes and every signed checkpoint. Finds rows that were altered,
deleted, inserted or reordered behind the append-only triggers' back."""

import json
from collections.abc import Sequence

from sqlmodel import Session, col, select

from governance.audit.log import AuditLog, entry_time
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
        problem = _against_tree(
            f"checkpoint at size {checkpoint.size}",
            checkpoint.note,
            audit,
            tree,
            stored_as=(checkpoint.size, checkpoint.root_hash),
        )
        if problem:
            problems.append(problem)
    for number, note in enumerate(kept, start=1):
        problem = _against_tree(f"kept checkpoint {number}", note, audit, tree)
        if problem:
            problems.append(problem)
    if checkpoints and checkpoints[-1].size < tree.size:
        problems.append(
            f"entries {checkpoints[-1].size}..{tree.size - 1} are not covered "
            "by any signed checkpoint (inserted outside the service)"
        )
    return tree.size, problems[:MAX_PROBLEMS]


def _against_tree(
    where: str,
    note: str,
    audit: AuditLog,
    tree: MemoryTree,
    stored_as: tuple[int, bytes] | None = None,
) -> str | None:
    """What is wrong between a signed checkpoint and the entries, if anything.
    `stored_as` is the (size, root) its database row claims, when it has one."""
    try:
        signed = open_checkpoint(note, audit.verifier_key)
    except NoteError as exc:
        return f"{where}: {exc}"
    if stored_as is not None and stored_as != (signed.size, signed.root):
        return f"{where}: the stored row disagrees with its signed note"
    if signed.size > tree.size:
        return (
            f"{where}: it signs {signed.size} entries, the log has {tree.size} "
            "(rows deleted or entries cut off)"
        )
    if tree.root(signed.size) != signed.root:
        return (
            f"{where}: the entries no longer hash to the signed root "
            "(rows altered, inserted or reordered)"
        )
    return None


def _columns(row: AuditEntry) -> dict[str, str]:
    return {
        "kind": row.kind,
        "subject": row.subject,
        "actor": row.actor,
        "at": entry_time(row.created_at),
    }
