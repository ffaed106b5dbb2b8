"""RFC 9162 known answers and properties.

The vectors are RFC 6962's test tree as published with Certificate Transparency's
reference implementation (certificate-transparency-go, merkle/testonly); leaf
numbers there count from 1, indexes here from 0.
"""

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from governance.audit.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    completed_nodes,
    consistency_ranges,
    inclusion_ranges,
    leaf_hash,
    range_nodes,
    resolve,
    root_from_leaves,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = [  # (index, size, proof)
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (0, 1, []),
]
CONSISTENCY = [  # (old, new, proof)
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
TREE = MemoryTree([leaf_hash(x) for x in LEAVES])


def test_empty_tree_and_published_roots() -> None:
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert root_from_leaves([]).hex() == ROOTS[0]
    for n in range(9):
        assert root_from_leaves([leaf_hash(x) for x in LEAVES[:n]]).hex() == ROOTS[n]
        assert TREE.root(n).hex() == ROOTS[n]


def test_published_inclusion_proofs() -> None:
    for index, size, proof in INCLUSION:
        assert [h.hex() for h in TREE.inclusion_proof(index, size)] == proof
        hashes = [bytes.fromhex(h) for h in proof]
        leaf = leaf_hash(LEAVES[index])
        assert verify_inclusion(leaf, index, size, hashes, bytes.fromhex(ROOTS[size]))


def test_published_consistency_proofs() -> None:
    for old, new, proof in CONSISTENCY:
        assert [h.hex() for h in TREE.consistency_proof(old, new)] == proof
        assert verify_consistency(
            old,
            new,
            bytes.fromhex(ROOTS[old]),
            bytes.fromhex(ROOTS[new]),
            [bytes.fromhex(h) for h in proof],
        )


def test_stored_subtrees_are_exactly_what_appends_complete() -> None:
    stored = {}
    for i, leaf in enumerate(TREE.levels[0]):
        stored[(0, i)] = leaf
        for level, index in completed_nodes(i):
            stored[(level, index)] = TREE.levels[level][index]
    assert stored == TREE.perfect_nodes()
    assert range_nodes(0, 7) == [(2, 0), (1, 2), (0, 6)]


def _tree(n: int) -> MemoryTree:
    return MemoryTree([leaf_hash(i.to_bytes(4, "big")) for i in range(n)])


def _flip(proof: list[bytes], position: int) -> list[bytes]:
    changed = list(proof)
    changed[position] = bytes([changed[position][0] ^ 1]) + changed[position][1:]
    return changed


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))),
    st.integers(0, 1000),
)
def test_every_inclusion_proof_verifies_and_tampered_ones_fail(case, salt) -> None:
    n, index = case
    tree = _tree(n)
    root, leaf, proof = tree.root(), tree.levels[0][index], tree.inclusion_proof(index, n)
    assert len(inclusion_ranges(index, n)) == len(proof)
    assert verify_inclusion(leaf, index, n, proof, root)
    assert not verify_inclusion(leaf_hash(b"other"), index, n, proof, root)
    # As in the CT reference probes: the wrong tree height fails. (A neighbouring size
    # can share a proof's shape and root; the signed checkpoint is what binds the size.)
    assert not verify_inclusion(leaf, index, n * 2, proof, root)
    if index < n // 2:
        assert not verify_inclusion(leaf, index, n // 2, proof, root)
    if proof:
        assert not verify_inclusion(leaf, index, n, _flip(proof, salt % len(proof)), root)
        assert not verify_inclusion(leaf, index, n, proof[:-1], root)
    assert not verify_inclusion(leaf, index, n, [*proof, root], root)
    if n > 1:
        other = (index + 1 + salt % (n - 1)) % n
        assert not verify_inclusion(leaf, other, n, proof, root) or tree.levels[0][other] == leaf


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.integers(0, 1000),
)
def test_every_consistency_proof_verifies_and_tampered_ones_fail(case, salt) -> None:
    old, new = case
    tree = _tree(new)
    old_root, new_root = tree.root(old), tree.root(new)
    proof = tree.consistency_proof(old, new)
    assert len(consistency_ranges(old, new)) == len(proof)
    assert verify_consistency(old, new, old_root, new_root, proof)
    if proof:
        assert not verify_consistency(old, new, old_root, new_root, _flip(proof, salt % len(proof)))
        assert not verify_consistency(old, new, old_root, new_root, proof[:-1])
        assert not verify_consistency(old, new, new_root, old_root, proof)
    if 0 < old < new:
        assert not verify_consistency(old, new, leaf_hash(b"x"), new_root, proof)
        assert not verify_consistency(old, new, old_root, leaf_hash(b"x"), proof)


def test_from_the_stored_pieces_equals_from_the_leaves() -> None:
    tree = _tree(77)
    for start, size in [(0, 77), (64, 13), (72, 5), (0, 64)]:
        assert resolve([(start, size)], tree.lookup)[0] == root_from_leaves(
            tree.levels[0][start : start + size]
        )


def test_verifier_keys_round_trip_whatever_their_base64_holds() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from governance.audit.notes import open_checkpoint, parse_verifier_key, sign_checkpoint
    from governance.audit.notes import verifier_key as make_verifier_key

    seen_plus = False
    for _ in range(40):  # enough keys that some base64 forms contain "+" and "/"
        key = Ed25519PrivateKey.generate()
        text = make_verifier_key("example.org/log", key.public_key())
        seen_plus |= "+" in text.split("+", 2)[2]
        name, public = parse_verifier_key(text)
        assert public.public_bytes_raw() == key.public_key().public_bytes_raw()
        assert name == "example.org/log"
        note = sign_checkpoint("example.org/log", 3, EMPTY_ROOT, name, key)
        assert open_checkpoint(note, text).size == 3
    assert seen_plus
