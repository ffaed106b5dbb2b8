"""`govern audit check`: recompute the whole tree from the database and compare it with
the stored subtree hashes and every signed checkpoint. Finds rows that were altered,
deleted, inserted or reordered behind the append-only triggers' back.

The log is read once, in index order, CHUNK rows at a time (keyset range queries, no
cursor held open), so memory stays bounded whatever the log's size. Each chunk's
entries are checked against their columns, hashed bottom-up into the compact range of
the tree so far (check_tree.py), its completed subtrees compared with the stored ones
a level at a time, and every checkpoint whose size it reaches checked against the root
there (check_checkpoints.py). A consumer (the reconciliation of live rows, see
check_run.py) is handed every chunk's entries as they pass, with the kind each states.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from governance.audit.check_checkpoints import Checkpoints, Stored
from governance.audit.check_entries import Times, check_entries
from governance.audit.check_reads import entry_chunks as _entry_chunks
from governance.audit.check_reads import plain_rows
from governance.audit.check_tree import Tree, compare_stored, hash_chunk
from governance.audit.log import AuditLog
from governance.audit.merkle import EMPTY_ROOT

MAX_PROBLEMS = 50
CHUNK = 1 << 14  # entries per read; a power of two keeps each chunk's subtrees aligned
# Each chunk's entry bytes and the kind each one's signed bytes state, where the check
# read them (None where it did not, or they state none): the reconciliation's input.
Consumer = Callable[[list[bytes], list[str | None]], None]


@dataclass
class _Found:
    """Problems found so far, by part, each list capped: the first ones say what happened."""

    entries: list[str] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)
    checkpoints: list[str] = field(default_factory=list)

    def entry(self, problem: str) -> None:
        _note(self.entries, problem)

    def node(self, problem: str) -> None:
        _note(self.nodes, problem)

    def checkpoint(self, problem: str) -> None:
        _note(self.checkpoints, problem)


def _note(problems: list[str], problem: str) -> None:
    if len(problems) < MAX_PROBLEMS:
        problems.append(problem)


def check_log(
    session: Session,
    audit: AuditLog,
    kept: Sequence[str] = (),
    consume: Consumer | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, list[str]]:
    """(entries checked, problems found); no problems means the log is intact.

    `kept` are checkpoints saved outside the database (from exports, say): the only
    way to notice entries cut off the end together with their checkpoints. `consume`
    is handed every entry row's bytes, past any gap too; `progress` the rows read."""
    found = _Found()
    checkpoints = Checkpoints(audit, kept, found.checkpoint)
    for row in _checkpoints(session, None, 0):  # size 0: signed before any entry
        checkpoints.stored(row, 0, EMPTY_ROOT)
    checkpoints.kept_at(0, EMPTY_ROOT)
    tree, times = Tree(), Times(session)
    growing, read = True, 0  # the tree follows the rows up to the first gap
    for rows in entry_chunks(session):
        kinds: list[str | None] = []
        if growing:
            count = check_entries(rows, tree.size, kinds, times, found.entry)
            growing = count == len(rows)
            if count:
                _grow(session, tree, [row[5] for row in rows[:count]], checkpoints, found)
        read += len(rows)
        if consume is not None:
            kinds += [None] * (len(rows) - len(kinds))
            consume([row[5] for row in rows], kinds)
        elif not growing:
            break
        if progress is not None:
            progress(read)
    _after_the_end(session, tree, checkpoints)
    _extra_nodes(session, tree, found)
    if checkpoints.last is not None and checkpoints.last < tree.size:
        found.checkpoint(
            f"entries {checkpoints.last}..{tree.size - 1} are not covered "
            "by any signed checkpoint (inserted outside the service)"
        )
    problems = found.entries + found.nodes + found.checkpoints
    return tree.size, problems[:MAX_PROBLEMS]


def entry_chunks(session: Session) -> Iterator[list[tuple[Any, ...]]]:
    """Every entry row, in index order, CHUNK at a time: (idx, kind, subject, actor,
    created_at as the driver reads it, entry)."""
    return _entry_chunks(session, CHUNK)


def _grow(
    session: Session, tree: Tree, leaves: list[bytes], checkpoints: Checkpoints, found: _Found
) -> None:
    """Hash a chunk's leaves into the tree, compare its stored subtrees, and check each
    checkpoint, stored or kept, at a size inside it (a stored one first at a size)."""
    start = tree.size
    chunk = hash_chunk(tree, leaves)
    compare_stored(session, tree, chunk, found.node)
    stored = {row.size: row for row in _checkpoints(session, start, tree.size)}
    kept = {size for size in checkpoints.kept if start < size <= tree.size}
    sizes = sorted(stored.keys() | kept) if kept else list(stored)  # rows come in size order
    for size in sizes:
        root = chunk.root_at(size)
        if size in stored:
            checkpoints.stored(stored[size], size, root)
        checkpoints.kept_at(size, root)


def _checkpoints(session: Session, above: int | None, up_to: int | None) -> list[Stored]:
    """Stored checkpoints with above < size <= up_to, in size order, as plain rows."""
    bounds = {"above": above, "up_to": up_to}
    params = {name: value for name, value in bounds.items() if value is not None}
    where = " AND ".join({"above": "size > :above", "up_to": "size <= :up_to"}[n] for n in params)
    query = f"SELECT size, root_hash, note FROM audit_checkpoints WHERE {where} ORDER BY size"
    return [Stored(*row) for row in plain_rows(session, query, params)]


def _after_the_end(session: Session, tree: Tree, checkpoints: Checkpoints) -> None:
    """Checkpoints, stored or kept, that sign more entries than the stream found."""
    root = tree.root()
    for row in _checkpoints(session, tree.size, None):
        checkpoints.stored(row, tree.size, root)
    for size in sorted(checkpoints.kept):
        for where, signed in checkpoints.kept[size]:
            checkpoints.against(where, signed, tree.size, root)


def _extra_nodes(session: Session, tree: Tree, found: _Found) -> None:
    """Stored subtrees beyond the entries: counted, then named only if there are any."""
    ((stored,),) = plain_rows(session, "SELECT count(*) FROM audit_nodes", {})
    if stored == tree.matched:
        return
    beyond = (
        "SELECT level, idx FROM audit_nodes WHERE level = :level AND (idx >= :end OR idx < 0) "
        "ORDER BY idx LIMIT :n"
    )
    extra: list[tuple[int, int]] = []
    for level in range(64):
        params = {"level": level, "end": tree.size >> level, "n": MAX_PROBLEMS}
        extra.extend((lv, idx) for lv, idx in plain_rows(session, beyond, params))
    odd = "SELECT level, idx FROM audit_nodes WHERE level < 0 OR level >= 64 LIMIT :n"
    extra.extend((lv, idx) for lv, idx in plain_rows(session, odd, {"n": MAX_PROBLEMS}))
    for node in sorted(extra)[:MAX_PROBLEMS]:
        found.node(f"stored subtree hash {node} covers entries that do not exist")
