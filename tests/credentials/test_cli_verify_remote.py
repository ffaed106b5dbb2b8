"""`govern verify --url`: the service's own reports over HTTP, printed and written as local
ones; a service that cannot be used ends the run with one sentence, exit 2."""

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from governance.cli.aborted import Aborted
from governance.cli.main import app
from governance.cli.verify_remote import Remote
from governance.credentials.report import VerifyReport
from governance.settings import get_settings
from tests.support.helpers import encode, np_image
from tests.support.label_helpers import generated, generator, output_of, reencoded, verify
from tests.support.live_server import free_port, live_server
from tests.support.service_fixture import Service

runner = CliRunner()


@pytest.fixture
def served(service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The service over real HTTP, and a working folder with no deployment in it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GOVERN_DATA_DIR", str(tmp_path / "no-data"))
    monkeypatch.delenv("GOVERN_DATABASE_URL", raising=False)
    monkeypatch.delenv("GOVERN_API_KEY", raising=False)
    get_settings.cache_clear()
    with live_server(service.app) as url:
        yield url
    get_settings.cache_clear()
    assert not (tmp_path / "no-data").exists()


def test_one_file_is_the_services_own_report(
    service: Service, served: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = reencoded(output_of(service, generated(service, generator(service))), "JPEG")
    path = tmp_path / "copy.jpg"
    path.write_bytes(data)
    key = service.keys["regulator"]
    result = runner.invoke(app, ["verify", "--json", str(path), "--url", served, "--key", key])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body == verify(service, data, "copy.jpg").json()
    assert body["record"]["found_by"] == "watermark"
    # The key may come from the environment; the words are those of a local report.
    monkeypatch.setenv("GOVERN_API_KEY", key)
    in_words = runner.invoke(app, ["verify", str(path), "--url", served + "/"])
    assert in_words.exit_code == 0, in_words.output
    text = " ".join(in_words.output.split())
    assert "found by watermark" in text and "agrees with the audit log: yes" in text


def test_a_folder_gets_reports_and_a_bad_file_is_named(
    service: Service, served: str, tmp_path: Path
) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "photo.png").write_bytes(encode(np_image(6, 128)))
    (folder / "broken.png").write_bytes(b"not an image")
    out = tmp_path / "out"
    key = service.keys["regulator"]
    result = runner.invoke(
        app, ["verify", str(folder), "--out", str(out), "--url", served, "--key", key]
    )
    assert result.exit_code == 1, result.output
    assert "broken.png: NotAnImage" in " ".join(result.output.split())
    report = json.loads((out / "report.json").read_text())
    assert report["checked_with"] == {"records": "service", "url": served}
    assert report["counts"]["files"] == 2 and report["counts"]["unreadable"] == 1
    VerifyReport.model_validate(report["files"][1])
    assert (out / "files" / "0002.html").is_file()


def test_a_refused_key_ends_the_run(service: Service, served: str, tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(encode(np_image(7, 128)))
    result = runner.invoke(app, ["verify", str(path), "--url", served, "--key", "gov_wrong"])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "refused the key (401" in text and "GOVERN_API_KEY" in text
    assert isinstance(result.exception, SystemExit)


def test_no_service_there_ends_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "photo.png"
    path.write_bytes(encode(np_image(8, 128)))
    url = f"http://127.0.0.1:{free_port()}"
    result = runner.invoke(app, ["verify", str(path), "--url", url, "--key", "k"])
    assert result.exit_code == 2, result.output
    assert f"cannot reach the service at {url}" in " ".join(result.output.split())
    assert isinstance(result.exception, SystemExit)


def _remote(handler: httpx.MockTransport, waits: list[float] | None = None) -> Remote:
    return Remote(
        "https://govern.example",
        "k",
        transport=handler,
        sleep=(waits if waits is not None else []).append,
    )


def _answers(*responses: httpx.Response) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    queue = list(responses)
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return queue.pop(0)

    return httpx.MockTransport(handle), seen


def test_a_busy_service_is_asked_again_after_its_retry_after(
    service: Service, tmp_path: Path
) -> None:
    data = encode(np_image(9, 128))
    path = tmp_path / "photo.png"
    path.write_bytes(data)
    report = verify(service, data, "photo.png").json()
    busy = httpx.Response(
        503, json={"error": "DatabaseBusy", "detail": "busy"}, headers={"Retry-After": "2"}
    )
    transport, seen = _answers(busy, busy, httpx.Response(200, json=report))
    waits: list[float] = []
    remote = _remote(transport, waits)
    found, error = remote(path)
    assert error is None and found is not None and found.to_json() == report
    assert waits == [2.0, 2.0] and len(seen) == 3
    assert seen[0].headers["authorization"] == "Bearer k"
    assert seen[0].url == "https://govern.example/v1/verify"
    # Busy every time: the run ends, saying so.
    transport, _ = _answers(*[busy] * 4)
    with pytest.raises(Aborted, match="503 DatabaseBusy"):
        _remote(transport)(path)


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (httpx.Response(200, text="<html>a proxy's page</html>"), "not a verification report"),
        (httpx.Response(200, json={"schema_version": 3}), "schema version 3"),
        (
            httpx.Response(302, headers={"Location": "https://other.example/"}),
            "redirects to https://other.example/",
        ),
        (httpx.Response(403, json={"error": "Forbidden", "detail": "no"}), "refused the key (403"),
        (httpx.Response(404, text="not found"), "has no POST /v1/verify"),
        (httpx.Response(500, text="oops"), "answered 500 HTTP 500: oops"),
    ],
)
def test_answers_that_are_not_reports_end_the_run(
    tmp_path: Path, answer: httpx.Response, says: str
) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(b"any bytes")
    transport, _ = _answers(answer)
    with pytest.raises(Aborted, match=re.escape(says)):
        _remote(transport)(path)


def test_a_files_own_refusal_is_that_files_error(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    path.write_bytes(b"x")
    answer = httpx.Response(413, json={"error": "FileTooLarge", "detail": "over the limit"})
    transport, _ = _answers(answer)
    assert _remote(transport)(path) == (None, "FileTooLarge: over the limit")
    assert _remote(_answers()[0])(tmp_path / "missing.png")[1] is not None
