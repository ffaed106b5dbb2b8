"""The verification report follows its versioned schema, as served and as the CLI writes it."""

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from governance.cli.main import app
from governance.credentials.report import (
    ManifestFacts,
    NoManifest,
    NoWatermark,
    VerifyReport,
    WatermarkFound,
)
from governance.settings import get_settings
from tests.support.helpers import encode, np_image
from tests.support.label_helpers import generated, generator, output_of, reencoded, verify
from tests.support.service_fixture import Service


def _served(service: Service, data: bytes) -> dict[str, Any]:
    response = verify(service, data)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_served_reports_state_their_version_and_parse_back_unchanged(service: Service) -> None:
    data = output_of(service, generated(service, generator(service)))
    served = {
        "output": _served(service, data),
        "stripped": _served(service, reencoded(data)),
        "photograph": _served(service, encode(np_image(4, 128))),
    }
    for name, body in served.items():
        assert body["schema_version"] == 2, name
        report = VerifyReport.model_validate(body)
        # Every key the API served is in the model, under its wire name.
        assert report.to_json() == body, name
    output = VerifyReport.model_validate(served["output"])
    assert isinstance(output.c2pa, ManifestFacts) and output.c2pa.state == "Trusted"
    assert isinstance(output.watermark, WatermarkFound)
    assert output.record is not None and output.record.agrees_with_audit_log is True
    assert output.ai_disclosure.disclosed_by == "embedded manifest"
    stripped = VerifyReport.model_validate(served["stripped"])
    assert isinstance(stripped.c2pa, NoManifest)
    assert stripped.record is not None and stripped.record.found_by == "watermark"
    photograph = VerifyReport.model_validate(served["photograph"])
    assert isinstance(photograph.watermark, NoWatermark) and photograph.record is None


def test_a_report_of_another_version_or_shape_does_not_parse(service: Service) -> None:
    body = _served(service, encode(np_image(5, 128)))
    VerifyReport.model_validate(body)
    earlier = {**body, "schema_version": 1}
    later = {**body, "schema_version": 3}
    missing = {k: v for k, v in body.items() if k != "watermark"}
    extra = {**body, "file": {**body["file"], "colour": "red"}}
    # Version 1 had no implicit_labels.origin: a version 1 report lacks it.
    old_shape = {
        **body,
        "implicit_labels": {k: v for k, v in body["implicit_labels"].items() if k != "origin"},
    }
    for changed in (earlier, later, missing, extra, old_shape):
        with pytest.raises(ValidationError):
            VerifyReport.model_validate(changed)


def test_the_openapi_document_describes_the_report(service: Service) -> None:
    spec = service.client.get("/openapi.json").json()
    response = spec["paths"]["/v1/verify"]["post"]["responses"]["200"]
    assert response["content"]["application/json"]["schema"]["$ref"].endswith("/VerifyReport")
    schemas = spec["components"]["schemas"]
    assert schemas["VerifyReport"]["properties"]["schema_version"]["const"] == 2
    assert "origin" in schemas["ImplicitLabels"]["properties"]
    assert "from" in schemas["AiDisclosure"]["properties"]
    assert "manifestId" in schemas["ServiceRecord"]["properties"]


def test_the_cli_writes_reports_of_the_schema(
    service: Service, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = output_of(service, generated(service, generator(service)))
    (tmp_path / "output.png").write_bytes(data)
    monkeypatch.setenv("GOVERN_DATA_DIR", str(service.settings.data_dir))
    monkeypatch.setenv("GOVERN_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["verify", "--json", str(tmp_path / "output.png")])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    report = VerifyReport.model_validate_json(result.stdout)
    assert report.schema_version == 2 and report.file.name == "output.png"
    assert report.record is not None and report.record.agrees_with_audit_log is True
