"""`govern verify` on a regulator's machine, with no deployment: the file alone against
the trust anchors given, nothing created, and the service's records said to be not
consulted rather than empty."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from governance.cli.main import app
from governance.credentials.report import FileOnlyReport, VerifyReport
from governance.settings import get_settings
from labeling.identity import generate_identity
from tests.support.helpers import encode, np_image
from tests.support.label_helpers import generated, generator, output_of, reencoded
from tests.support.service_fixture import make_service

runner = CliRunner()
NOT_CONSULTED = "record: not consulted (no deployment; use --url to ask the service)"


@dataclass(frozen=True)
class Files:
    output: Path
    stripped: Path
    photo: Path
    ca: Path  # the service's root, as GET /v1/labels/ca.pem serves it
    deployment: Path  # the data dir of the deployment that made the output


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Files:
    """One labelled output, made once: these tests are about the file, not the database."""
    root = tmp_path_factory.mktemp("made")
    service = make_service(f"sqlite:///{root / 'data' / 'govern.db'}", root / "data")
    try:
        data = output_of(service, generated(service, generator(service)))
        ca = service.client.get("/v1/labels/ca.pem").content
    finally:
        service.app.state.services.engine.dispose()
    files = Files(
        root / "output.png",
        root / "stripped.jpg",
        root / "photo.png",
        root / "ca.pem",
        root / "data",
    )
    files.output.write_bytes(data)
    files.stripped.write_bytes(reencoded(data, "JPEG", quality=85))
    files.photo.write_bytes(encode(np_image(3, 128)))
    files.ca.write_bytes(ca)
    return files


@pytest.fixture
def nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A machine with no deployment: an empty working folder, GOVERN_DATA_DIR naming a
    folder that does not exist, no GOVERN_DATABASE_URL."""
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.setenv("GOVERN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("GOVERN_DATABASE_URL", raising=False)
    monkeypatch.delenv("GOVERN_API_KEY", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
    assert list(here.iterdir()) == [], "nothing may appear in the working folder"
    assert not (tmp_path / "data").exists(), "no data dir may be made"


def words(output: str) -> str:
    return " ".join(output.split())  # rich wraps long lines


def test_with_no_way_to_check_nothing_is_checked_and_the_ways_are_named(
    made: Files, nowhere: Path
) -> None:
    result = runner.invoke(app, ["verify", str(made.output)])
    assert result.exit_code == 2, result.output
    text = words(result.output)
    assert "nothing was checked: there is no deployment here" in text
    assert "none was made" in text
    for way in ("--trust-anchor ca.pem", "--url URL --key KEY", "GOVERN_DATA_DIR", "--no-trust"):
        assert way in text
    assert isinstance(result.exception, SystemExit)  # no traceback


def test_a_trust_anchor_checks_the_file_alone(
    made: Files, nowhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERN_API_KEY", "gov_exported_for_other_tools")  # not in the way
    result = runner.invoke(app, ["verify", str(made.output), "--trust-anchor", str(made.ca)])
    assert result.exit_code == 0, result.output
    text = words(result.output)
    assert "C2PA: Trusted" in text and "says AI: yes" in text
    assert NOT_CONSULTED in text
    assert "service record: none" not in text
    assert "EU AI Act Art. 50(2): conformant" in text
    # The visible label is known from the records alone: not failed, not established.
    assert "GB 45438-2025: not established from the file alone" in text
    assert "-- visible_label: not checked" in text


def test_the_json_report_says_the_records_were_not_consulted(made: Files, nowhere: Path) -> None:
    result = runner.invoke(
        app, ["verify", "--json", str(made.stripped), "--trust-anchor", str(made.ca)]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    report = FileOnlyReport.model_validate(body)
    assert report.to_json() == body
    # A reader of the service's reports refuses it instead of reading "no record".
    with pytest.raises(ValidationError):
        VerifyReport.model_validate(body)
    assert report.record is None and report.fingerprint.matches == []
    records = report.records
    assert records.consulted is False and "no deployment" in records.detail
    assert "record" in records.not_checked and "visible_label" in records.not_checked
    assert len(records.trust_anchors) == 1 and "SHA-256" in records.trust_anchors[0]
    assert report.watermark.found
    bindings = {b.alg: b.value for b in records.soft_bindings}
    assert (
        bindings["org.provenance-governance.watermark.qim.1"] == body["watermark"]["watermark_id"]
    )
    assert len(bindings["org.provenance-governance.fingerprint.phash.1"]) == 16
    gb = {c.name: c for c in report.conformance.gb_45438_2025.checks}
    assert gb["visible_label"].detail.startswith("not checked")


def test_anchors_come_in_bundles_and_repeat_and_only_they_count(made: Files, nowhere: Path) -> None:
    other = nowhere / "other.pem"
    other.write_bytes(generate_identity("Another museum").root_pem)
    bundle = nowhere / "bundle.pem"
    bundle.write_bytes(other.read_bytes() + made.ca.read_bytes())

    def state(*anchors: Path) -> tuple[str, int]:
        options = [item for a in anchors for item in ("--trust-anchor", str(a))]
        result = runner.invoke(app, ["verify", "--json", str(made.output), *options])
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        return report["c2pa"]["state"], len(report["records"]["trust_anchors"])

    assert state(bundle) == ("Trusted", 2)
    assert state(other, made.ca) == ("Trusted", 2)
    assert state(other) == ("Valid", 1)


def test_no_trust_anchor_says_what_that_means(made: Files, nowhere: Path) -> None:
    result = runner.invoke(app, ["verify", "--json", str(made.output), "--no-trust-anchor"])
    assert result.exit_code == 0, result.output
    assert "never Trusted" in words(result.stderr)
    report = json.loads(result.stdout)
    assert report["c2pa"]["state"] == "Valid" and report["records"]["trust_anchors"] == []


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--trust-anchor", "{photo}"], "is not a PEM certificate"),
        (["--trust-anchor", "{missing}"], "cannot be read"),
        (["--trust-anchor", "{ca}", "--no-trust-anchor"], "contradict"),
        (["--trust-anchor", "{ca}", "--url", "http://127.0.0.1:9", "--key", "k"], "leave out"),
        (["--key", "k"], "--key is for --url"),
        (["--url", "http://127.0.0.1:9"], "needs the service's key"),
        (["--url", "ftp://example.org", "--key", "k"], "http(s) address"),
    ],
)
def test_options_that_cannot_work_are_refused_before_anything_is_read(
    made: Files, nowhere: Path, options: list[str], says: str
) -> None:
    values = {"photo": made.photo, "missing": nowhere / "missing.pem", "ca": made.ca}
    filled = [o.format(**values) for o in options]
    result = runner.invoke(app, ["verify", str(made.output), *filled])
    assert result.exit_code == 2, result.output
    assert says in words(result.output)
    assert isinstance(result.exception, SystemExit)


def test_a_folder_checked_alone_writes_its_reports_and_escapes_names(
    made: Files, nowhere: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("files")
    hostile = "<script>alert(1)<img src=x onerror=alert(2)>.png"  # a name holds no "/"
    (folder / hostile).write_bytes(made.output.read_bytes())
    (folder / "stripped.jpg").write_bytes(made.stripped.read_bytes())
    (folder / "photo.png").write_bytes(made.photo.read_bytes())
    out = tmp_path_factory.mktemp("out")
    result = runner.invoke(
        app, ["verify", str(folder), "--out", str(out), "--trust-anchor", str(made.ca)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["checked_with"]["records"] == "not consulted"
    assert report["counts"]["service's records not consulted"] == 3
    assert "found in the service's records" not in report["counts"]
    assert report["counts"]["c2pa Trusted"] == 1 and report["counts"]["EU Art. 50 conformant"] == 1
    assert all(FileOnlyReport.model_validate(f) for f in report["files"])
    index = (out / "index.html").read_text()
    assert "were not consulted" in index and "not consulted</td>" in index
    pages = [p.read_text() for p in sorted((out / "files").iterdir())]
    assert len(pages) == 3
    for page in [index, *pages]:
        assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;img src=x onerror=alert(2)&gt;.png" in index
    assert any("&lt;script&gt;" in page and "Not consulted" in page for page in pages)


def test_inside_a_deployment_a_trust_anchor_still_checks_the_file_alone(
    made: Files, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GOVERN_DATA_DIR", str(made.deployment))
    monkeypatch.delenv("GOVERN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = runner.invoke(
            app, ["verify", "--json", str(made.output), "--trust-anchor", str(made.ca)]
        )
        in_deployment = runner.invoke(app, ["verify", "--json", str(made.output)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    alone = json.loads(result.stdout)
    assert alone["records"]["detail"].startswith("the file alone was checked (--trust-anchor)")
    # Without it, the deployment's records answer, as before.
    assert json.loads(in_deployment.stdout)["record"]["agrees_with_audit_log"] is True
