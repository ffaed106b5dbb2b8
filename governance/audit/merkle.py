"""RFC 9162 Merkle tree hashing, proof construction and verification. No I/O.

Proofs are built from "perfect" subtrees (2^level leaves starting at a multiple of
2^level), which the log stores as they complete; any range the RFC's recursion
asks for splits into O(log n) of them. Node (level, index) covers leaves
[index * 2^level, (index + 1) * 2^level).
"""

import hashlib
from collections.abc import Callable, Iterable, Sequence

Node = tuple[int, int]  # (level, index)
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """k with k < n <= 2k (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(start: int, size: int) -> list[Node]:
    """The perfect subtrees that make up leaves [start, start + size), left to right."""
    nodes = []
    while size:
        level = size.bit_length() - 1 if size & (size - 1) == 0 else (size - 1).bit_length() - 1
        width = 1 << level
        if start % width:
            raise ValueError(f"range [{start}, +{size}) is not aligned to the tree")
        nodes.append((level, start >> level))
        start, size = start + width, size - width
    return nodes


def range_hash(nodes: Sequence[bytes]) -> bytes:
    """MTH of a range from its perfect subtrees: RFC 9162 splits off the left one each time."""
    if not nodes:
        return EMPTY_ROOT
    acc = nodes[-1]
    for left in reversed(nodes[:-1]):
        acc = node_hash(left, acc)
    return acc


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """PATH(index, D[size]) of RFC 9162 2.1.3.1 as (start, size) ranges, leaf first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    path: list[tuple[int, int]] = []
    start = 0
    while size > 1:
        k = _largest_power_of_two_below(size)
        if index < k:
            path.append((start + k, size - k))
            size = k
        else:
            path.append((start, k))
            start, index, size = start + k, index - k, size - k
    return list(reversed(path))


def consistency_ranges(old: int, new: int) -> list[tuple[int, int]]:
    """PROOF(old, D[new]) of RFC 9162 2.1.4.1 as (start, size) ranges."""
    if not 0 <= old <= new:
        raise ValueError(f"no consistency proof from size {old} to size {new}")
    if old in (0, new):
        return []
    proof: list[tuple[int, int]] = []
    start, m, n, complete = 0, old, new, True
    while m != n:
        k = _largest_power_of_two_below(n)
        if m <= k:
            proof.append((start + k, n - k))
            n = k
        else:
            proof.append((start, k))
            start, m, n, complete = start + k, m - k, n - k, False
    if not complete:
        proof.append((start, m))
    return list(reversed(proof))


def resolve(
    ranges: Iterable[tuple[int, int]],
    lookup: Callable[[list[Node]], dict[Node, bytes]],
) -> list[bytes]:
    """Hashes of `ranges`, fetching every perfect subtree they need in one lookup."""
    pieces = [range_nodes(start, size) for start, size in ranges]
    found = lookup(sorted({n for p in pieces for n in p}))
    return [range_hash([found[n] for n in p]) for p in pieces]


def root_from_leaves(hashes: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes with a stack of perfect subtrees (O(n), O(log n) memory)."""
    stack: list[tuple[int, bytes]] = []
    for h in hashes:
        stack.append((0, h))
        while len(stack) >= 2 and stack[-1][0] == stack[-2][0]:
            (level, right), (_, left) = stack.pop(), stack.pop()
            stack.append((level + 1, node_hash(left, right)))
    return range_hash([h for _, h in stack])


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2, with the trivial cases it leaves to the caller."""
    if not 0 <= old <= new:
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0


def completed_nodes(index: int) -> list[Node]:
    """The perfect subtrees above leaf level that appending leaf `index` completes."""
    nodes = []
    level, position = 1, index + 1
    while position % (1 << level) == 0:
        nodes.append((level, (position >> level) - 1))
        level += 1
    return nodes


class MemoryTree:
    """Every perfect subtree of a list of leaves, for bulk proofs and full rechecks."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.levels: list[list[bytes]] = [list(leaves)]
        while len(self.levels[-1]) >= 2:
            below = self.levels[-1]
            self.levels.append(
                [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            )

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def lookup(self, wanted: list[Node]) -> dict[Node, bytes]:
        return {(level, index): self.levels[level][index] for level, index in wanted}

    def root(self, size: int | None = None) -> bytes:
        return resolve([(0, self.size if size is None else size)], self.lookup)[0]

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        return resolve(inclusion_ranges(index, size), self.lookup)

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        return resolve(consistency_ranges(old, new), self.lookup)

    def perfect_nodes(self) -> dict[Node, bytes]:
        return {(lv, i): h for lv, hashes in enumerate(self.levels) for i, h in enumerate(hashes)}
