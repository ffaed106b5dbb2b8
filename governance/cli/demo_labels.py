"""The demo's last act: a regulator verifies the service's outputs and a stripped copy."""

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image
from rich.console import Console
from rich.table import Table

from governance.cli.verify_files import verify_paths, write_reports
from governance.credentials.report import VerifyReport
from governance.services import Services

Call = Callable[..., tuple[int, Any]]
RELEASED, PENDING, STRIPPED = (
    "generation-released.png",
    "restoration-pending-review.png",
    "generation-stripped.jpg",
)


SHORT_NAMES = {RELEASED: "generation", PENDING: "restoration", STRIPPED: "stripped copy"}


def stripped_copy(data: bytes) -> bytes:
    """What a social network makes of a file: the pixels re-encoded as JPEG, no metadata."""
    buffer = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGB").save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def verify_outputs(call: Call, outputs: Path) -> dict[str, VerifyReport | str]:
    """Each file's report as served, parsed back into its schema: an error's code if none."""
    (outputs / STRIPPED).write_bytes(stripped_copy((outputs / RELEASED).read_bytes()))
    reports: dict[str, VerifyReport | str] = {}
    for name in (RELEASED, PENDING, STRIPPED):
        status, body = call(
            f"the regulator verifies {name}",
            "POST",
            "/v1/verify",
            "regulator",
            files={"file": (name, (outputs / name).read_bytes(), "application/octet-stream")},
        )
        reports[name] = VerifyReport.model_validate(body) if status == 200 else body["error"]
    return reports


def folder_report(services: Services, outputs: Path, console: Console) -> Path:
    """The same check as `govern verify outputs/`: report.json and index.html."""
    run = verify_paths(services, [outputs], console)
    _, page = write_reports(run, outputs.parent / "verify-report")
    return page


def table(reports: dict[str, VerifyReport | str]) -> Table:
    # Short cells, so that the table stays whole in an 80-column terminal.
    grid = Table(title="verification (files in outputs/)")
    for heading in ("file", "C2PA", "AI", "mark", "found by", "EU 50", "GB 45438"):
        grid.add_column(heading, no_wrap=True)
    for name, report in reports.items():
        if isinstance(report, str):
            grid.add_row(name, report, "", "", "", "", "")
            continue
        record = report.record
        conformance = report.conformance
        grid.add_row(
            SHORT_NAMES.get(name, name),
            report.c2pa.state or "none",
            _yes(report.ai_disclosure.ai_made),
            _yes(report.watermark.found),
            # (!) where the file disagrees with the log; a fingerprint claims nothing.
            f"{record.found_by}" + (" (!)" if record.agrees_with_audit_log is False else "")
            if record
            else "none",
            _yes(conformance.eu_ai_act_art50.conformant),
            _yes(conformance.gb_45438_2025.conformant),
        )
    return grid


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def as_expected(reports: dict[str, VerifyReport | str]) -> bool:
    released, pending, stripped = reports[RELEASED], reports[PENDING], reports[STRIPPED]
    if (
        isinstance(released, str)
        or isinstance(pending, str)
        or isinstance(stripped, str)
        or released.record is None
    ):
        return False
    return bool(
        released.c2pa.state == "Trusted"
        and released.record.agrees_with_audit_log
        and released.conformance.eu_ai_act_art50.conformant
        and released.conformance.gb_45438_2025.conformant
        and pending.c2pa.state == "Trusted"
        and pending.ai_disclosure.ai_made
        and not stripped.c2pa.present
        and stripped.record is not None
        and stripped.record.found_by == "watermark"
        and stripped.ai_disclosure.ai_made
    )
