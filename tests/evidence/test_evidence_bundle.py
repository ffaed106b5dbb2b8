"""One call's evidence bundle: served to auditors, regulators and admins only, written the
same by `govern calls evidence`, and checked offline with the log's key pinned, where a
one-byte change in any of its files is refused."""

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from governance.audit.notes import verifier_key
from governance.audit.verify_bundle import BundleError, open_bundle
from governance.audit.verify_evidence import is_evidence, verify_evidence
from governance.cli.main import app
from governance.settings import get_settings
from tests.evidence.support import Restored, evidence, members, restored, sha256

runner = CliRunner()


@pytest.fixture
def made(database_url: str, tmp_path: Path) -> Iterator[Restored]:
    call = restored(database_url, tmp_path / "data")
    yield call
    call.service.app.state.services.engine.dispose()


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_the_bundle_holds_the_call_its_report_decisions_and_manifests(made: Restored) -> None:
    answer = evidence(made.service, made.call_id)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    files = members(answer.content)
    call_id = made.call_id
    assert json.loads(files["call.json"])["id"] == call_id
    assert json.loads(files["call.json"])["status"] == "pending_review"
    assert json.loads(files["report/report.json"])["call_id"] == call_id
    assert {n for n in files if n.startswith("report/files/")} == {
        "report/files/report.html",
        "report/files/changed.png",
        "report/files/maps/saliency.npy",
    }
    (decision,) = [n for n in files if n.startswith("reviews/")]
    assert json.loads(files[decision])["comment"] == "the fill follows the fur"
    (manifest,) = [n for n in files if n.startswith("manifests/")]
    assert files[manifest][:8] != b""  # the label stage's manifest store, as signed
    entries = [json.loads(line) for line in files["entries.jsonl"].splitlines()]
    kinds = [e["kind"] for e in entries]
    assert kinds == ["call.recorded", "output.labelled", "report.ready", "review.decided"]
    assert {e["subject"] for e in entries} == {f"call:{call_id}"}
    assert len(files["proofs/inclusion.jsonl"].splitlines()) == len(entries)
    listing = json.loads(files["evidence.json"])
    listed = {f["name"]: f for f in listing["files"]}
    assert set(listed) == set(files) - {"evidence.json", "evidence.sig"}
    assert all(listed[n]["sha256"] == sha256(files[n]) for n in listed)
    assert listed["report/report.json"]["entry"] == entries[2]["index"]
    readme = files["README.md"].decode()
    assert all(f"`{sha256(files[n])}`" in readme for n in listed if n != "README.md")
    # The same evidence makes the same bytes: fixed times, sorted names.
    assert evidence(made.service, call_id).content == answer.content
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(files)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_it_verifies_offline_and_says_what_each_file_is(made: Restored, tmp_path: Path) -> None:
    zipped = evidence(made.service, made.call_id).content
    passed = verify_evidence(members(zipped), made.verifier_key)
    text = "\n".join(passed)
    assert "report/report.json: the restoration report" in text
    assert "agrees with entry" in text and "(report.ready)" in text
    assert "(review.decided)" in text and "(output.labelled)" in text and "(call.recorded)" in text
    path = tmp_path / "evidence.zip"
    path.write_bytes(zipped)
    result = runner.invoke(app, ["audit", "verify", str(path), "--key", made.verifier_key])
    assert result.exit_code == 0, result.output
    assert "the bundle verifies" in result.output and "reviews/entry-" in result.output
    with open_bundle(path) as bundle:
        assert is_evidence(bundle)
    # Another key: refused, whatever the bundle ships.
    other = verifier_key("govern.local/audit", Ed25519PrivateKey.generate().public_key())
    refused = runner.invoke(app, ["audit", "verify", str(path), "--key", other])
    assert refused.exit_code == 1 and "FAILED" in refused.output


def test_a_one_byte_change_in_any_file_is_refused(made: Restored, tmp_path: Path) -> None:
    files = members(evidence(made.service, made.call_id).content)
    assert len(files) >= 15
    for name, data in sorted(files.items()):
        for at in sorted({0, len(data) // 2, len(data) - 1}):
            changed = bytearray(data)
            changed[at] ^= 0x01
            tampered = {**files, name: bytes(changed)}
            with pytest.raises(BundleError) as refused:
                verify_evidence(tampered, made.verifier_key)
            assert str(refused.value), name
            path = tmp_path / "tampered.zip"
            path.write_bytes(_zip(tampered))
            result = runner.invoke(app, ["audit", "verify", str(path), "--key", made.verifier_key])
            assert result.exit_code == 1 and "FAILED" in result.output, (name, at, result.output)
    # Named: the file whose bytes changed.
    report = bytearray(files["report/files/report.html"])
    report[5] ^= 0x20
    with pytest.raises(BundleError, match=r"report/files/report.html: its SHA-256"):
        verify_evidence({**files, "report/files/report.html": bytes(report)}, made.verifier_key)
    # A file added or taken away.
    with pytest.raises(BundleError, match="not listed"):
        verify_evidence({**files, "extra.txt": b"x"}, made.verifier_key)
    for name in ("report/files/changed.png", "entries.jsonl", "evidence.sig"):
        with pytest.raises(BundleError, match="missing"):
            verify_evidence({n: d for n, d in files.items() if n != name}, made.verifier_key)


def test_only_auditors_regulators_and_admins_get_it(made: Restored) -> None:
    for role in ("auditor", "regulator", "admin"):
        assert evidence(made.service, made.call_id, role).status_code == 200, role
    for role in ("operator", "conservator", "alice"):  # alice: a rights holder
        answer = evidence(made.service, made.call_id, role)
        assert answer.status_code == 403 and answer.json()["error"] == "Forbidden", role
    missing = evidence(made.service, made.call_id + 1000)
    assert missing.status_code == 404 and missing.json()["error"] == "CallNotFound"
    assert evidence(made.service, made.call_id).headers["cache-control"] == "private, no-store"


def test_the_command_writes_the_same_bundle(
    made: Restored, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = made.service.settings
    monkeypatch.setenv("GOVERN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("GOVERN_DATABASE_URL", settings.resolved_database_url)
    get_settings.cache_clear()
    try:
        out = tmp_path / "out" / "call.zip"
        result = runner.invoke(app, ["calls", "evidence", str(made.call_id), "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_bytes() == evidence(made.service, made.call_id).content
        unknown = runner.invoke(app, ["calls", "evidence", "99999", "--out", str(out)])
        assert unknown.exit_code == 2 and "CallNotFound" in unknown.output
    finally:
        get_settings.cache_clear()
