"""POST /v1/verify/report.html: the verification report as a printable page, from the same
report and renderer as `govern verify` writes, with everything from the file escaped."""

import re
from typing import Any

from governance.credentials.report import VerifyReport
from governance.credentials.report_html import report_html
from labeling.c2pa_manifest import CallProvenance, generation_manifest, new_manifest_id
from labeling.c2pa_sign import SignerConfig, sign
from labeling.identity import generate_identity
from tests.support.helpers import auth, encode, np_image
from tests.support.label_helpers import generated, generator, output_of, verify
from tests.support.service_fixture import Service

HOSTILE = "<script>alert('x')</script>"


def _page(service: Service, data: bytes, name: str = "file.png", key: str = "regulator") -> Any:
    return service.client.post(
        "/v1/verify/report.html",
        headers=auth(service.keys[key]),
        files={"file": (name, data, "application/octet-stream")},
    )


def _text(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_the_page_says_what_the_json_report_says(service: Service) -> None:
    data = output_of(service, generated(service, generator(service)))
    response = _page(service, data, "output.png")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "private, no-store"
    report = VerifyReport.model_validate(verify(service, data, "output.png").json())
    page = response.text
    # One renderer: the page served is the page the CLI writes for the same report.
    assert page == report_html(report)
    text = _text(page)
    assert report.record is not None
    assert f"call {report.record.call_id}" in text
    assert "EU AI Act Art. 50(2) conformant" in text
    assert "agrees with the audit log yes" in text
    assert "C2PA manifest state Trusted" in text


def test_the_json_endpoint_is_unchanged(service: Service) -> None:
    response = verify(service, encode(np_image(2, 128)))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["schema_version"] == 2
    spec = service.client.get("/openapi.json").json()["paths"]
    assert list(spec["/v1/verify"]["post"]["responses"]["200"]["content"]) == ["application/json"]
    assert list(spec["/v1/verify/report.html"]["post"]["responses"]["200"]["content"]) == [
        "text/html"
    ]


def _hostile_file() -> bytes:
    """A PNG signed by someone else, its manifest's title, agent and signer all markup."""
    identity = generate_identity(f"{HOSTILE} museum", common_name=HOSTILE)
    provenance = CallProvenance(
        service=HOSTILE,
        call_id=1,
        audit_index=0,
        evidence_sha256="00" * 32,
        model_id=1,
        model_name=HOSTILE,
        model_version="<b>1</b>",
        weights_sha256="11" * 32,
    )
    manifest = generation_manifest(
        manifest_id=new_manifest_id(), title=HOSTILE, provenance=provenance, soft_bindings=[]
    )
    png = encode(np_image(4, 128))
    return sign(png, "image/png", manifest, SignerConfig.from_identity(identity)).data


def test_everything_from_the_file_is_escaped(service: Service) -> None:
    data = _hostile_file()
    report = verify(service, data, f"{HOSTILE}.png").json()
    assert report["c2pa"]["title"] == HOSTILE  # the file really says it
    assert any(HOSTILE in agent for agent in report["c2pa"]["software_agents"])
    response = _page(service, data, f"{HOSTILE}.png")
    assert response.status_code == 200, response.text
    page = response.text
    assert "<script" not in page.lower() and "<b>" not in page
    assert page.count("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;") >= 3
    assert "Valid" in _text(page)  # signed by a CA the service does not trust


def test_refusals_are_the_json_endpoints(service: Service) -> None:
    anonymous = service.client.post(
        "/v1/verify/report.html", files={"file": ("f.png", b"x", "application/octet-stream")}
    )
    assert anonymous.status_code == 401 and anonymous.json()["error"]
    not_an_image = _page(service, b"not an image at all")
    assert not_an_image.status_code == 415
    assert not_an_image.json()["error"] == "NotAnImage"
