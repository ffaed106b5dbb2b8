"""The demo's review act: the restorations' reports are made, a conservator reads the
astronaut's and approves it, a second restoration is rejected and served to no one, and
the rejected call's evidence bundle is checked offline with the log's key pinned."""

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from governance.audit.verify_evidence import verify_evidence
from governance.cli import demo_models
from governance.reports.consumer import run_pending
from governance.services import Services

Call = Callable[..., tuple[int, Any]]
Fetch = Callable[[str, str], bytes]
RELEASED = "restoration-released.png"


def review_round(
    call: Call,
    fetch: Fetch,
    services: Services,
    directory: Path,
    restorer: int,
    pending: dict[str, Any],
    second: tuple[bytes, bytes],
    verifier_key: str,
) -> dict[str, Any]:
    """`restorer`: the built-in restorer's model id; `pending`: the astronaut's restoration
    as its call answered; `second`: another damaged photograph and its mask, restored here
    to be rejected."""
    rejected = demo_models.restoration(
        call, restorer, "restore a damaged camera man (to be rejected)", *second
    )
    # `govern serve` runs a consumer; the demo runs the queued report jobs itself.
    jobs = run_pending(services, timeout=900.0)
    call_id = int(pending["id"])
    status, report = call(
        "the conservator reads the astronaut's restoration report",
        "GET",
        f"/v1/calls/{call_id}/report",
        "conservator",
    )
    reports = directory / "reports"
    reports.mkdir(exist_ok=True)
    page = reports / f"call-{call_id}.html"
    page.write_bytes(fetch(f"/v1/calls/{call_id}/report.html", "conservator"))
    approved = _decide(call, call_id, "approve", "Fill is faithful to the surrounding paint.")
    released = directory / "outputs" / RELEASED
    released.write_bytes(fetch(f"/v1/calls/{call_id}/output", "regulator"))
    _, verified = call(
        "the regulator verifies the released restoration",
        "POST",
        "/v1/verify",
        "regulator",
        files={"file": (RELEASED, released.read_bytes(), "image/png")},
    )
    second_id = int(rejected["id"])
    refused = _decide(
        call, second_id, "reject", "The fill invents a pattern that was never there.", region=True
    )
    withheld = {
        role: call(
            f"the {role} asks for the rejected output (withheld)",
            "GET",
            f"/v1/calls/{second_id}/output",
            role,
        )[0]
        for role in ("conservator", "admin")
    }
    bundle, checks = _evidence(call, fetch, second_id, directory, verifier_key)
    return {
        "jobs": jobs,
        "report_status": status,
        "report": report if status == 200 else None,
        "page": page,
        "approved": approved,
        "released": released,
        "verified": verified,
        "rejected": refused,
        "withheld": withheld,
        "bundle": bundle,
        "bundle_checks": checks,
    }


def _decide(
    call: Call, call_id: int, decision: str, comment: str, region: bool = False
) -> dict[str, Any]:
    regions = [{"x": 96, "y": 96, "width": 64, "height": 48, "note": "invented"}] if region else []
    status, body = call(
        f"the conservator decides '{decision}' on call {call_id}",
        "POST",
        f"/v1/calls/{call_id}/review",
        "conservator",
        json={"decision": decision, "comment": comment, "regions": regions},
    )
    # "status" in the answer is the call's status after the decision.
    return {**(body if isinstance(body, dict) else {}), "http_status": status}


def _evidence(
    call: Call, fetch: Fetch, call_id: int, directory: Path, verifier_key: str
) -> tuple[Path, list[str] | str]:
    path = directory / f"evidence-call-{call_id}.zip"
    path.write_bytes(fetch(f"/v1/calls/{call_id}/evidence", "audit office"))
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    try:
        checks: list[str] | str = verify_evidence(files, verifier_key)
    except ValueError as exc:  # BundleError: what failed, in words
        checks = str(exc)
    return path, checks


def summary(done: dict[str, Any]) -> str:
    verified = done["verified"]
    review = [c for c in verified.get("record", {}).get("checks", []) if c["name"] == "review"]
    checks = done["bundle_checks"]
    return (
        f"Reports: {len(done['jobs'].ready)} made, {len(done['jobs'].failed)} failed; the "
        f"astronaut's page is {done['page']}. The conservator approved it: the call is "
        f"{done['approved'].get('status')}, released "
        f"as {done['released'].name}, whose verification names the review "
        f"({review[0]['detail'] if review else 'not found'}). The second restoration was "
        f"rejected; its output is withheld from everyone "
        f"({', '.join(f'{r} {s}' for r, s in done['withheld'].items())}). Its evidence "
        f"bundle {done['bundle'].name} "
        + (
            f"verified offline ({len(checks)} checks)."
            if isinstance(checks, list)
            else f"did NOT verify: {checks}"
        )
    )


def as_expected(done: dict[str, Any]) -> bool:
    review = [
        c for c in done["verified"].get("record", {}).get("checks", []) if c["name"] == "review"
    ]
    return bool(
        done["report_status"] == 200
        and not done["jobs"].failed
        and done["approved"].get("status") == "released"
        and review
        and review[0]["passed"]
        and done["rejected"].get("status") == "rejected"
        and all(status in (403, 404) for status in done["withheld"].values())
        and isinstance(done["bundle_checks"], list)
    )
