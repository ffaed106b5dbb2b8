"""`govern audit check`: recompute the whole tree from the database and compare it with
the stored subtree hashes and every signed checkpoint. Finds rows that were altered,
deleted, inserted or reordered behind the append-only triggers' back.

The log is read in aligned chunks of CHUNK entries (keyset range queries, no cursor
held open), so memory stays bounded whatever the log's size: a stack of perfect
subtree roots (RFC 9162 compact range) gives every completed subtree and the root at
every checkpoint size as the stream passes them, and each chunk's stored subtrees are
read with one range query per level and compared as they complete."""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import func, or_
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from governance.audit.log import AuditLog, entry_time
from governance.audit.merkle import EMPTY_ROOT, Node, leaf_hash, node_hash, range_hash
from governance.audit.models import AuditCheckpoint, AuditEntry, AuditNode
from governance.audit.notes import Checkpoint, NoteError, open_checkpoint, sign_checkpoint

MAX_PROBLEMS = 50
_decode = json.JSONDecoder().decode
_Row = tuple[Any, ...]  # idx, kind, subject, actor, created_at, entry
CHUNK = 1 << 14  # entries per read; a power of two keeps each chunk's subtrees aligned


class _Stored(NamedTuple):
    size: int
    root_hash: bytes
    note: str


@dataclass
class _Pass:
    """What the stream has seen so far."""

    size: int = 0
    stack: list[tuple[int, bytes]] = field(default_factory=list)  # (level, hash), left first
    matched: int = 0  # expected subtrees that had a stored row
    last_checkpoint: int | None = None
    entries: list[str] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)
    checkpoints: list[str] = field(default_factory=list)

    def root(self) -> bytes:
        return range_hash([h for _, h in self.stack]) if self.stack else EMPTY_ROOT


def check_log(session: Session, audit: AuditLog, kept: Sequence[str] = ()) -> tuple[int, list[str]]:
    """(entries checked, problems found); no problems means the log is intact.

    `kept` are checkpoints saved outside the database (from exports, say): the only
    way to notice entries cut off the end together with their checkpoints."""
    state = _Pass()
    outside = _open_kept(kept, audit, state)
    for row in _checkpoints_between(session, None, 0):  # size 0: signed before any entry
        _check_stored(row, audit, state)
    _kept_at(outside, state)
    start = 0
    while True:
        rows = _entry_rows(session, start)
        count = _check_entries(rows, start, state)
        end, gap = start + count, count < len(rows)
        if count:
            checkpoints = _checkpoints_between(session, start, end)
            stored = _stored_nodes(session, start, end)
            _hash_chunk(rows[:count], start, stored, checkpoints, outside, audit, state)
        if count < CHUNK:
            break
        start = end
    if not gap:  # the last chunk ended short: the end of the log, or a gap just after it
        after = session.exec(select(func.min(AuditEntry.idx)).where(AuditEntry.idx >= end)).one()
        if after is not None:
            _note(state.entries, f"entry {end} is missing (next row has index {after})")
    _after_the_end(session, audit, state, outside)
    _extra_nodes(session, state)
    if state.last_checkpoint is not None and state.last_checkpoint < state.size:
        state.checkpoints.append(
            f"entries {state.last_checkpoint}..{state.size - 1} are not covered "
            "by any signed checkpoint (inserted outside the service)"
        )
    problems = state.entries + state.nodes + state.checkpoints
    return state.size, problems[:MAX_PROBLEMS]


def _note(problems: list[str], problem: str) -> None:
    if len(problems) < MAX_PROBLEMS:
        problems.append(problem)


def _entry_rows(session: Session, start: int) -> list[_Row]:
    query = select_columns(
        col(AuditEntry.idx),
        col(AuditEntry.kind),
        col(AuditEntry.subject),
        col(AuditEntry.actor),
        col(AuditEntry.created_at),
        col(AuditEntry.entry),
    ).where(col(AuditEntry.idx) < start + CHUNK)
    if start:  # the first chunk has no lower bound, so a negative index shows as a gap
        query = query.where(col(AuditEntry.idx) >= start)
    return [tuple(r) for r in session.execute(query.order_by(col(AuditEntry.idx)))]


def _check_entries(rows: list[_Row], start: int, state: _Pass) -> int:
    """How many rows, from the chunk's start, follow on without a gap."""
    for offset, (idx, kind, subject, actor, created_at, entry) in enumerate(rows):
        expected = start + offset
        if idx != expected:
            _note(state.entries, f"entry {expected} is missing (next row has index {idx})")
            return offset
        try:
            # str in, not bytes: json.loads(bytes) sniffs the encoding first, which at a
            # million entries costs more than the parse (entries are UTF-8 by design).
            signed = _decode(entry.decode())
        except ValueError:
            signed = None
        if not isinstance(signed, dict) or signed.get("index") != idx:
            stated = signed.get("index") if isinstance(signed, dict) else None
            _note(state.entries, f"entry {idx}: its bytes say index {stated} (moved or altered)")
        elif (
            signed.get("kind") != kind
            or signed.get("subject") != subject
            or signed.get("actor") != actor
            or signed.get("at") != entry_time(created_at)
        ):
            # Queries and exports select by these columns: they must say what was signed.
            _note(
                state.entries,
                f"entry {idx}: its kind, subject, actor or time columns "
                "differ from its signed bytes",
            )
    return len(rows)


def _stored_nodes(session: Session, start: int, end: int) -> dict[Node, bytes]:
    """The stored subtrees that leaves [start, end) complete: one range query per level.
    Node (level, i) completes at leaf (i + 1) * 2^level - 1."""
    found: dict[Node, bytes] = {}
    level = 0
    while 1 << level <= end:
        low, high = ((start + (1 << level)) >> level) - 1, (end >> level) - 1
        if low <= high:
            query = select(AuditNode.idx, AuditNode.hash).where(
                AuditNode.level == level, col(AuditNode.idx) >= low, col(AuditNode.idx) <= high
            )
            for idx, hashed in session.exec(query):
                found[(level, idx)] = hashed
        level += 1
    return found


def _checkpoints_between(session: Session, start: int | None, end: int | None) -> list[_Stored]:
    """Stored checkpoints with start < size <= end, as plain rows (ORM objects cost
    more than their signatures)."""
    query = select_columns(
        col(AuditCheckpoint.size), col(AuditCheckpoint.root_hash), col(AuditCheckpoint.note)
    )
    if end is not None:
        query = query.where(col(AuditCheckpoint.size) <= end)
    if start is not None:
        query = query.where(col(AuditCheckpoint.size) > start)
    rows = session.execute(query.order_by(col(AuditCheckpoint.size)))
    return [_Stored(size, root, note) for size, root, note in rows]


def _hash_chunk(
    rows: Sequence[_Row],
    start: int,
    stored: dict[Node, bytes],
    checkpoints: list[_Stored],
    outside: dict[int, list[tuple[str, Checkpoint]]],
    audit: AuditLog,
    state: _Pass,
) -> None:
    stack, nodes = state.stack, state.nodes
    sizes = {c.size: c for c in checkpoints}
    for index, row in enumerate(rows, start=start):
        value = leaf_hash(row[5])
        level = 0
        while True:
            got = stored.pop((level, index >> level), None)
            if got is not None:
                state.matched += 1
            if got != value:
                what = "leaf hash" if level == 0 else f"subtree hash (level {level})"
                _note(nodes, f"{what} {index >> level} does not match the entries")
            if not stack or stack[-1][0] != level:
                break
            value = node_hash(stack.pop()[1], value)
            level += 1
        stack.append((level, value))
        state.size = index + 1
        if state.size in sizes:
            _check_stored(sizes[state.size], audit, state)
        if state.size in outside:
            _kept_at(outside, state)


def _check_stored(row: _Stored, audit: AuditLog, state: _Pass) -> None:
    state.last_checkpoint = max(state.last_checkpoint or 0, row.size)
    where = f"checkpoint at size {row.size}"
    signed = _signed_stored(where, row, audit, state)
    if signed is not None:
        _against_stream(where, signed, state)


def _signed_stored(where: str, row: _Stored, audit: AuditLog, state: _Pass) -> Checkpoint | None:
    # Ed25519 signing is deterministic (RFC 8032): the note the log would write for
    # this row is the only one with its signature bytes, and re-signing costs a third
    # of verifying. Any other note gets the full verification and its exact message.
    if row.note == sign_checkpoint(
        audit.origin, row.size, row.root_hash, audit.key_name, audit.key
    ):
        return Checkpoint(origin=audit.origin, size=row.size, root=row.root_hash)
    try:
        signed = open_checkpoint(row.note, audit.verifier_key)
    except NoteError as exc:
        state.checkpoints.append(f"{where}: {exc}")
        return None
    if (row.size, row.root_hash) != (signed.size, signed.root):
        state.checkpoints.append(f"{where}: the stored row disagrees with its signed note")
        return None
    return signed


def _against_stream(where: str, signed: Checkpoint, state: _Pass) -> None:
    if signed.size > state.size:
        _note(
            state.checkpoints,
            f"{where}: it signs {signed.size} entries, the log has {state.size} "
            "(rows deleted or entries cut off)",
        )
    elif state.root() != signed.root:
        _note(
            state.checkpoints,
            f"{where}: the entries no longer hash to the signed root "
            "(rows altered, inserted or reordered)",
        )


def _open_kept(
    kept: Sequence[str], audit: AuditLog, state: _Pass
) -> dict[int, list[tuple[str, Checkpoint]]]:
    """Kept checkpoints by the size they sign, to compare as the stream reaches it."""
    by_size: dict[int, list[tuple[str, Checkpoint]]] = {}
    for number, note in enumerate(kept, start=1):
        try:
            signed = open_checkpoint(note, audit.verifier_key)
        except NoteError as exc:
            state.checkpoints.append(f"kept checkpoint {number}: {exc}")
            continue
        by_size.setdefault(signed.size, []).append((f"kept checkpoint {number}", signed))
    return by_size


def _kept_at(outside: dict[int, list[tuple[str, Checkpoint]]], state: _Pass) -> None:
    for where, signed in outside.pop(state.size, []):
        _against_stream(where, signed, state)


def _after_the_end(
    session: Session,
    audit: AuditLog,
    state: _Pass,
    outside: dict[int, list[tuple[str, Checkpoint]]],
) -> None:
    """Checkpoints, stored or kept, that sign more entries than the stream found."""
    for row in _checkpoints_between(session, state.size, None):
        _check_stored(row, audit, state)
    for size in sorted(outside):
        for where, signed in outside[size]:
            _against_stream(where, signed, state)


def _extra_nodes(session: Session, state: _Pass) -> None:
    """Stored subtrees beyond the entries: counted, then named only if there are any."""
    stored = session.exec(select(func.count()).select_from(AuditNode)).one()
    if stored == state.matched:
        return
    extra: list[Node] = []
    for level in range(64):
        query = select(AuditNode.level, AuditNode.idx).where(
            AuditNode.level == level,
            or_(col(AuditNode.idx) >= state.size >> level, col(AuditNode.idx) < 0),
        )
        extra.extend(session.exec(query.order_by(col(AuditNode.idx)).limit(MAX_PROBLEMS)))
    odd = select(AuditNode.level, AuditNode.idx).where(
        or_(col(AuditNode.level) < 0, col(AuditNode.level) >= 64)
    )
    extra.extend(session.exec(odd.limit(MAX_PROBLEMS)))
    for node in sorted(extra)[:MAX_PROBLEMS]:
        state.nodes.append(f"stored subtree hash {node} covers entries that do not exist")
