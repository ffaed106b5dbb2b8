"""The tree part of `audit check`: a chunk's leaves hashed bottom-up, a level at a time,
its completed subtrees compared with the stored ones a level at a time, and the root at
any size inside the chunk read off its levels.

A chunk starts at a multiple of its (power of two) length, so its subtrees never reach
outside it, and the compact range of everything before it (RFC 9162) holds only larger
subtrees: the only ones the chunk completes above its own levels are those its last
leaf completes by carrying into that range.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter

from sqlmodel import Session

from governance.audit.check_reads import plain_rows
from governance.audit.merkle import EMPTY_ROOT, Node, node_hash, range_hash

_sha256 = hashlib.sha256
_first = itemgetter(0)
_RANGE = "FROM audit_nodes WHERE level = :level AND idx >= :low AND idx < :high ORDER BY idx"
_HASHES, _NODES = f"SELECT hash {_RANGE}", f"SELECT idx, hash {_RANGE}"


@dataclass
class Tree:
    """The compact range of the leaves streamed so far, and how many stored subtrees
    were found for the subtrees they complete."""

    size: int = 0
    stack: list[tuple[int, bytes]] = field(default_factory=list)  # (level, hash), left first
    matched: int = 0

    def root(self) -> bytes:
        return range_hash([h for _, h in self.stack]) if self.stack else EMPTY_ROOT


@dataclass(frozen=True)
class Chunk:
    """Leaves [start, start + len(levels[0])): levels[l][j] is node (l, (start >> l) + j)."""

    start: int
    levels: list[list[bytes]]
    before: list[tuple[int, bytes]]  # the compact range of the leaves before the chunk
    carried: list[tuple[Node, bytes]]  # subtrees above the chunk's levels that it completes

    def root_at(self, size: int) -> bytes:
        """The root of the first `size` leaves, start < size <= the chunk's end: the
        compact range before the chunk, then the chunk's own up to `size`, folded from
        the right (merkle.range_hash, written out: this runs for every checkpoint)."""
        width, offset = size - self.start, 0
        nodes = [h for _, h in self.before]
        for level in range(width.bit_length() - 1, -1, -1):
            if width >> level & 1:
                nodes.append(self.levels[level][offset >> level])
                offset += 1 << level
        root = nodes.pop()
        for left in reversed(nodes):
            root = _sha256(b"\x01" + left + root).digest()
        return root


def hash_chunk(tree: Tree, leaves: list[bytes]) -> Chunk:
    """Hash `leaves` (the entries from tree.size on) into `tree`. tree.size must be a
    multiple of the largest power of two in len(leaves), as a chunk's start is."""
    if leaves and tree.size % (1 << (len(leaves).bit_length() - 1)):
        raise ValueError(f"{len(leaves)} leaves from {tree.size} are not aligned to the tree")
    level = [_sha256(b"\x00" + entry).digest() for entry in leaves]
    levels = [level]
    while len(level) >= 2:
        pairs = iter(level)  # an odd one out is left for the level's compact range
        level = [
            _sha256(b"\x01" + left + right).digest()
            for left, right in zip(pairs, pairs, strict=False)
        ]
        levels.append(level)
    before, end = list(tree.stack), tree.size + len(leaves)
    carried: list[tuple[Node, bytes]] = []
    # The chunk's own compact range (a subtree per set bit of its length), pushed onto the
    # stack: only a whole chunk's root can meet a subtree of its own level there.
    for height in range(len(levels) - 1, -1, -1):
        if len(levels[height]) & 1:
            value = levels[height][-1]
            while tree.stack and tree.stack[-1][0] == height:
                value = node_hash(tree.stack.pop()[1], value)
                height += 1
                carried.append(((height, (end >> height) - 1), value))
            tree.stack.append((height, value))
    tree.size = end
    return Chunk(end - len(leaves), levels, before, carried)


def compare_stored(session: Session, tree: Tree, chunk: Chunk, note: Callable[[str], None]) -> None:
    """Compare the subtrees `chunk` completes with the stored ones, a level at a time (a
    level's range holds one row per index at most, so equal counts line the hashes up);
    on any difference, read them again by index and name each one."""
    wanted = [
        (level, chunk.start >> level, expected)
        for level, expected in enumerate(chunk.levels)
        if expected
    ]
    wanted += [(level, index, [value]) for (level, index), value in chunk.carried]
    found = 0
    for level, low, expected in wanted:
        rows = plain_rows(
            session, _HASHES, {"level": level, "low": low, "high": low + len(expected)}
        )
        if len(rows) != len(expected) or list(map(_first, rows)) != expected:
            break
        found += len(rows)
    else:
        tree.matched += found
        return
    stored: dict[Node, bytes] = {}
    for level, low, expected in wanted:
        params = {"level": level, "low": low, "high": low + len(expected)}
        stored.update(
            ((level, index), hashed) for index, hashed in plain_rows(session, _NODES, params)
        )
    tree.matched += name_differences(chunk, stored, note)


def name_differences(chunk: Chunk, stored: dict[Node, bytes], note: Callable[[str], None]) -> int:
    """Each completed subtree whose stored hash differs or is missing, leaf by leaf and
    bottom-up, in the order `audit check` has always named them; the stored ones found."""
    stack, matched = list(chunk.before), 0
    for index, value in enumerate(chunk.levels[0], start=chunk.start):
        level = 0
        while True:
            got = stored.pop((level, index >> level), None)
            if got is not None:
                matched += 1
            if got != value:
                what = "leaf hash" if level == 0 else f"subtree hash (level {level})"
                note(f"{what} {index >> level} does not match the entries")
            if not stack or stack[-1][0] != level:
                break
            value = node_hash(stack.pop()[1], value)
            level += 1
        stack.append((level, value))
    return matched
