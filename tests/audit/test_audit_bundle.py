"""Exported bundles verify offline, with the CLI and with a from-scratch implementation,
and every altered, truncated, reordered or re-signed bundle fails, naming what broke."""

import contextlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from governance.audit.notes import open_checkpoint, parse_body, sign_checkpoint
from governance.audit.verify_bundle import BundleError, read_bundle, verify_bundle
from governance.cli.main import app
from governance.settings import get_settings
from tests.audit.bundle_support import PINNED
from tests.support.audit_helpers import b64d, independent_inclusion, independent_root
from tests.support.call_helpers import _mask, _model, restore
from tests.support.helpers import auth, encode, np_image, photo, png_bytes
from tests.support.service_fixture import Service

runner = CliRunner()


def _export(tmp_path: Path, name: str, *options: str) -> Path:
    out = tmp_path / name
    result = runner.invoke(app, ["audit", "export", "--out", str(out), *options])
    assert result.exit_code == 0, result.output
    return out


def _verify(bundle: Path, *options: str):
    if "--key" not in options and "--trust-bundled-key" not in options:
        options = (*options, "--key", PINNED["key"])
    return runner.invoke(app, ["audit", "verify", str(bundle), *options])


def test_full_export_verifies_here_and_from_scratch(logged: Service, tmp_path: Path) -> None:
    bundle = _export(tmp_path, "full")
    result = _verify(bundle)
    assert result.exit_code == 0, result.output
    assert "the bundle verifies" in result.output
    lines = (bundle / "entries.jsonl").read_bytes().split(b"\n")[:-1]
    assert len(lines) == 12  # 6 keys, 3 registrations, 3 changes of terms
    checkpoint = parse_body((bundle / "checkpoint").read_text().split("\n\n")[0] + "\n")
    assert independent_root(lines) == checkpoint.root
    assert (bundle / "README.md").read_text().startswith("# Verifying this audit bundle")
    pinned = logged.client.get("/v1/audit/key").json()["verifier_key"]
    assert _verify(bundle, "--key", pinned).exit_code == 0


def test_range_subject_and_zip_exports(logged: Service, tmp_path: Path) -> None:
    part = _export(tmp_path, "part", "--from", "3", "--to", "9", "--since", "2")
    assert _verify(part).exit_code == 0
    meta = json.loads((part / "bundle.json").read_text())
    assert meta["indexes"] == list(range(3, 9))
    lines = (part / "entries.jsonl").read_bytes().split(b"\n")[:-1]
    proofs = [json.loads(x) for x in (part / "proofs/inclusion.jsonl").read_text().splitlines()]
    root = b64d(meta["root_hash"])
    for line, proof in zip(lines, proofs, strict=True):
        path = [b64d(h) for h in proof["proof"]]
        assert independent_inclusion(line, proof["index"], meta["tree_size"], path) == root
    consistency = json.loads((part / "proofs/consistency.json").read_text())
    assert [c["from"] for c in consistency] == [2, 9]
    subject = _export(tmp_path, "work1", "--subject", "work:1")
    assert json.loads((subject / "bundle.json").read_text())["indexes"] == [6, 7]
    assert _verify(subject).exit_code == 0
    zipped = _export(tmp_path, "bundle.zip")
    assert zipfile.is_zipfile(zipped) and _verify(zipped).exit_code == 0
    over_http = logged.client.get(
        "/v1/audit/export", headers=auth(logged.keys["regulator"]), params={"subject": "work:2"}
    )
    assert over_http.status_code == 200
    files = {
        n: zipfile.ZipFile(io.BytesIO(over_http.content)).read(n)
        for n in zipfile.ZipFile(io.BytesIO(over_http.content)).namelist()
    }
    assert len(verify_bundle(files, PINNED["key"])) >= 3
    bad = runner.invoke(
        app, ["audit", "export", "--out", str(tmp_path / "x"), "--from", "5", "--to", "99"]
    )
    assert bad.exit_code == 2 and "0 <= from <= to" in bad.output


def _rewrite(bundle: Path, name: str, change) -> None:
    path = bundle / name
    path.write_bytes(change(path.read_bytes()))


def _swap_lines(data: bytes) -> bytes:
    lines = data.split(b"\n")
    lines[2], lines[3] = lines[3], lines[2]
    return b"\n".join(lines)


def _resign(data: bytes) -> bytes:
    body = data.decode().split("\n\n")[0] + "\n"
    checkpoint = parse_body(body)
    other = Ed25519PrivateKey.generate()
    return sign_checkpoint(
        checkpoint.origin, checkpoint.size, checkpoint.root, checkpoint.origin, other
    ).encode()


@pytest.mark.parametrize(
    ("name", "change", "expected"),
    [
        ("entries.jsonl", lambda d: d.replace(b"alice", b"alicf", 1), "entries.jsonl"),
        ("entries.jsonl", lambda d: d.replace(b'"kind"', b'"kind" ', 1), "canonical"),
        ("entries.jsonl", lambda d: d[:-40], "truncated"),
        ("entries.jsonl", lambda d: d.rsplit(b"\n", 2)[0] + b"\n", "truncated or padded"),
        ("entries.jsonl", _swap_lines, "reordered"),
        ("checkpoint", _resign, "checkpoint"),
        ("checkpoint", lambda d: d.replace(b"\n12\n", b"\n11\n"), "checkpoint"),
        ("bundle.json", lambda d: d[:20], "bundle.json"),
        ("public-key.txt", lambda d: b"nonsense", "public-key.txt"),
    ],
    ids=[
        "altered-byte",
        "not-canonical",
        "cut-mid-line",
        "missing-line",
        "reordered",
        "signed-by-another-key",
        "altered-size",
        "broken-meta",
        "broken-key",
    ],
)
def test_altered_full_bundles_fail(logged: Service, tmp_path: Path, name, change, expected) -> None:
    bundle = _export(tmp_path, "full")
    _rewrite(bundle, name, change)
    result = _verify(bundle)
    assert result.exit_code == 1, result.output
    assert "FAILED" in result.output and expected in result.output, result.output


def test_altered_proofs_and_missing_files_fail(logged: Service, tmp_path: Path) -> None:
    part = _export(tmp_path, "part", "--from", "3", "--to", "9")
    proofs = (part / "proofs/inclusion.jsonl").read_text().splitlines()
    first = json.loads(proofs[1])
    first["proof"][0] = first["proof"][1]
    proofs[1] = json.dumps(first)
    (part / "proofs/inclusion.jsonl").write_text("\n".join(proofs) + "\n")
    result = _verify(part)
    assert result.exit_code == 1 and "line 2 (entry 4)" in result.output, result.output
    full = _export(tmp_path, "full")
    (full / "checkpoint").unlink()
    assert "missing file" in _verify(full).output
    assert _verify(tmp_path / "nowhere.zip").exit_code == 1


def test_pinning_another_key_fails(logged: Service, tmp_path: Path) -> None:
    bundle = _export(tmp_path, "full")
    from governance.audit.notes import verifier_key

    other = verifier_key("govern.local/audit", Ed25519PrivateKey.generate().public_key())
    result = _verify(bundle, "--key", other)
    assert result.exit_code == 1 and "not the key you pinned" in result.output


def test_bundles_need_no_database(
    logged: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = _export(tmp_path, "full")
    moved = tmp_path / "elsewhere"
    shutil.copytree(bundle, moved)
    monkeypatch.setenv("GOVERN_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("GOVERN_DATA_DIR", str(tmp_path / "empty"))
    get_settings.cache_clear()
    assert _verify(moved).exit_code == 0
    checkpoint = open_checkpoint(
        (moved / "checkpoint").read_text(), (moved / "public-key.txt").read_text()
    )
    assert checkpoint.size == 12
    with pytest.raises(BundleError):
        verify_bundle(read_bundle(moved) | {"entries.jsonl": b""}, PINNED["key"])


def test_any_altered_byte_of_entries_or_checkpoint_fails(logged: Service, tmp_path: Path) -> None:
    files = read_bundle(_export(tmp_path, "full"))
    assert verify_bundle(files, PINNED["key"])
    rng = __import__("random").Random(3)
    entries, checkpoint = files["entries.jsonl"], files["checkpoint"]
    positions = [("entries.jsonl", p) for p in rng.sample(range(len(entries)), 150)]
    positions += [("checkpoint", p) for p in range(len(checkpoint))]
    # Every byte of every inclusion proof too (the base64 tails were once malleable).
    partial = read_bundle(_export(tmp_path, "part", "--from", "2", "--to", "5"))
    proofs = partial["proofs/inclusion.jsonl"]
    for position in range(len(proofs)):
        data = bytearray(proofs)
        data[position] ^= 0x01
        if bytes(data).count(b"\n") != proofs.count(b"\n"):
            continue  # a flipped newline is a different file shape, caught elsewhere
        with pytest.raises(BundleError):
            verify_bundle({**partial, "proofs/inclusion.jsonl": bytes(data)}, PINNED["key"])
    for name, position in positions:
        data = bytearray(files[name])
        data[position] ^= 0x01
        with pytest.raises(BundleError):
            verify_bundle({**files, name: bytes(data)}, PINNED["key"])


def test_verify_never_crashes_on_a_damaged_bundle(logged: Service, tmp_path: Path) -> None:
    rng = __import__("random").Random(11)
    for bundle in (
        read_bundle(_export(tmp_path, "full", "--since", "4")),
        read_bundle(_export(tmp_path, "part", "--from", "1", "--to", "7")),
        read_bundle(_export(tmp_path, "subject", "--subject", "work:2")),
    ):
        for name, content in bundle.items():
            for position in rng.sample(range(len(content)), min(60, len(content))):
                data = bytearray(content)
                data[position] = rng.randrange(256)
                with contextlib.suppress(BundleError):
                    verify_bundle({**bundle, name: bytes(data)}, PINNED["key"])


def _forge(bundle: Path) -> None:
    """Alter an entry, recompute the root and re-sign with a key of one's own, swapping the
    bundle's public keys: only a key obtained independently exposes it."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from governance.audit.merkle import root_from_leaves
    from governance.audit.notes import verifier_key

    lines = (bundle / "entries.jsonl").read_bytes().split(b"\n")[:-1]
    lines[5] = lines[5].replace(b"key:", b"kez:", 1)
    (bundle / "entries.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))
    from governance.audit.merkle import leaf_hash

    root = root_from_leaves([leaf_hash(line) for line in lines])
    meta = json.loads((bundle / "bundle.json").read_text())
    import base64

    meta["root_hash"] = base64.b64encode(root).decode()
    (bundle / "bundle.json").write_text(json.dumps(meta))
    forger = Ed25519PrivateKey.generate()
    origin = meta["origin"]
    (bundle / "checkpoint").write_text(
        sign_checkpoint(origin, meta["tree_size"], root, origin, forger)
    )
    (bundle / "public-key.txt").write_text(verifier_key(origin, forger.public_key()) + "\n")
    (bundle / "public-key.pem").write_bytes(
        forger.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )


def test_a_forged_bundle_fails_against_the_pinned_key(logged: Service, tmp_path: Path) -> None:
    bundle = _export(tmp_path, "full")
    _forge(bundle)
    result = _verify(bundle)
    assert result.exit_code == 1 and "not the key you pinned" in result.output, result.output
    unpinned = runner.invoke(app, ["audit", "verify", str(bundle)])
    assert unpinned.exit_code == 2 and "pin the log's key" in unpinned.output
    trusted = _verify(bundle, "--trust-bundled-key")
    assert trusted.exit_code == 0 and "not pinned" in trusted.output


@pytest.mark.parametrize(
    ("name", "change", "expected"),
    [
        ("bundle.json", lambda m: {**m, "selection": {"from": 0, "to": 6}}, "not the range"),
        ("bundle.json", lambda m: {**m, "format": "other/1"}, "bundle.json"),
        ("bundle.json", lambda m: {**m, "consistency_from": []}, "consistency.json"),
        ("bundle.json", lambda m: {**m, "indexes": [False, True, *m["indexes"][2:]]}, "indexes"),
    ],
    ids=["selection", "format", "consistency-dropped", "bool-indexes"],
)
def test_claims_of_bundle_json_are_checked(
    logged: Service, tmp_path: Path, name, change, expected
) -> None:
    bundle = _export(tmp_path, "part", "--from", "3", "--to", "9", "--since", "1")
    meta = json.loads((bundle / name).read_text())
    (bundle / name).write_text(json.dumps(change(meta)))
    result = _verify(bundle)
    assert result.exit_code == 1 and expected in result.output, result.output


def test_other_bundle_files_are_checked(logged: Service, tmp_path: Path) -> None:
    part = _export(tmp_path, "part", "--from", "3", "--to", "9", "--since", "0")
    for name, change, expected in [
        ("proofs/consistency.json", lambda d: b"[]", "consistency.json"),
        ("proofs/inclusion.jsonl", lambda d: d + b"\n", "inclusion.jsonl"),
        ("public-key.pem", lambda d: d.replace(b"A", b"B", 1), "public-key.pem"),
        (
            "proofs/consistency.json",
            lambda d: d.replace(json.loads(d)[0]["from_root"].encode(), b"A" * 43 + b"=", 1),
            "size 0",
        ),
        ("bundle.json", lambda d: b"[" * 200_000, "bundle.json"),
    ]:
        copy = tmp_path / f"copy-{name.replace('/', '-')}-{expected.replace(' ', '')}"
        shutil.copytree(part, copy)
        _rewrite(copy, name, change)
        result = _verify(copy)
        assert result.exit_code == 1 and expected in result.output, (name, result.output)
    (part / "proofs/consistency.json").unlink()
    assert "missing file" in _verify(part).output
    subject = _export(tmp_path, "subject", "--subject", "work:1")
    meta = json.loads((subject / "bundle.json").read_text())
    meta["selection"] = {"subject": "work:2", "subjects": ["work:2"]}
    (subject / "bundle.json").write_text(json.dumps(meta))
    assert "about 'work:1', not a selected subject" in _verify(subject).output


def _zip_files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_an_export_by_work_holds_the_entries_of_its_calls(
    logged_alone: Service, tmp_path: Path
) -> None:
    logged = logged_alone
    model = _model(logged)
    mask = _mask(*photo("coffee").size)
    calls = [restore(logged, png_bytes("coffee"), mask, model).json()["id"] for _ in range(2)]
    other = restore(logged, encode(np_image(4)), _mask(64, 64), model).json()["id"]
    subjects = ["work:1", *(f"call:{i}" for i in calls)]
    bundle = _export(tmp_path, "work1", "--subject", "work:1")
    meta = json.loads((bundle / "bundle.json").read_text())
    assert meta["format"] == "govern-audit-bundle/2"
    assert meta["selection"] == {"subject": "work:1", "subjects": subjects}
    # Every entry of each subject in the tree, and no other.
    expected: list[int] = []
    for subject in subjects:
        page = logged.client.get(
            "/v1/audit/entries", headers=auth(logged.keys["auditor"]), params={"subject": subject}
        ).json()
        assert page["entries"] and page["end"] == meta["tree_size"], subject
        expected += [entry["index"] for entry in page["entries"]]
    assert meta["indexes"] == sorted(expected) and len(expected) > len(subjects)
    lines = [json.loads(line) for line in (bundle / "entries.jsonl").read_text().splitlines()]
    assert {line["subject"] for line in lines} == set(subjects)
    assert f"call:{other}" not in {line["subject"] for line in lines}
    result = _verify(bundle)
    assert result.exit_code == 0, result.output
    assert "'work:1' and 2 related subject(s)" in result.output and "not shown" in result.output

    # Over HTTP the same bundle; who may export is unchanged: the log's readers only.
    answers = {
        key: logged.client.get(
            "/v1/audit/export", headers=auth(logged.keys[key]), params={"subject": "work:1"}
        )
        for key in ("auditor", "regulator", "admin", "alice", "operator")
    }
    assert {key: r.status_code for key, r in answers.items()} == {
        "auditor": 200,
        "regulator": 200,
        "admin": 200,
        "alice": 403,
        "operator": 403,
    }
    files = _zip_files(answers["auditor"].content)
    assert files["entries.jsonl"] == (bundle / "entries.jsonl").read_bytes()
    assert json.loads(files["bundle.json"]) == meta
    assert len(verify_bundle(files, PINNED["key"])) >= 4

    # A list that leaves a call out is caught by that call's own entries.
    meta["selection"]["subjects"] = subjects[:2]
    (bundle / "bundle.json").write_text(json.dumps(meta))
    failed = _verify(bundle)
    assert failed.exit_code == 1 and f"about 'call:{calls[1]}'" in failed.output, failed.output
