"""`govern verify FILE|DIR...`: label reports for files, a JSON and HTML report for folders."""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from governance.auth.models import Role
from governance.credentials.report import ManifestFacts, NoManifest, VerifyReport, WatermarkFound
from governance.credentials.verify_file import verify
from governance.db import unit_of_work
from governance.errors import GovernError
from governance.services import Services
from labeling.verify_report import counts, folder_html

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff"}


@dataclass(frozen=True)
class Verified:
    """One file's outcome: its report, or why there is none."""

    path: str
    report: VerifyReport | None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        if self.report is None:
            return {"file": {"name": self.path}, "error": self.error}
        return self.report.to_json()


@dataclass
class VerifyRun:
    files: list[Verified] = field(default_factory=list)
    # One summary row per file, for the folder page and the counts.
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def unreadable(self) -> int:
        return sum(1 for row in self.rows if row.get("error"))


def files_to_verify(paths: list[Path]) -> list[Path]:
    """Named files as given; folders searched recursively for images, in name order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                )
            )
        else:
            found.append(path)
    return found


# The command reads the database itself, as only its keepers can: it sees what an admin
# is served (every output that is served to anyone; see calls.status).
CLI_ROLE = Role.ADMIN
NOT_APPLICABLE = "not applicable (fingerprint only)"


def verify_paths(
    services: Services, paths: list[Path], console: Console, role: Role = CLI_ROLE
) -> VerifyRun:
    run = VerifyRun()
    files = files_to_verify(paths)
    columns = (
        TextColumn("verifying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("verify", total=len(files))
        for path in files:
            report, error = _verify_one(services, role, path)
            run.files.append(Verified(str(path), report, error))
            run.rows.append(summary_row(str(path), report, error))
            progress.advance(task)
    return run


def _verify_one(
    services: Services, role: Role, path: Path
) -> tuple[VerifyReport | None, str | None]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, f"cannot be read: {exc.strerror or exc}"
    try:
        with unit_of_work(services.engine) as session:
            return verify(session, services, role, data, path.name), None
    except GovernError as exc:
        return None, f"{exc.code}: {exc.detail}"


def write_reports(run: VerifyRun, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    report_json = out / "report.json"
    report_json.write_text(
        json.dumps(
            {"counts": counts(run.rows), "files": [f.to_json() for f in run.files]},
            indent=2,
            ensure_ascii=False,
        )
    )
    page = out / "index.html"
    page.write_text(folder_html(run.rows, "Label verification report"))
    return report_json, page


def summary_row(name: str, report: VerifyReport | None, error: str | None) -> dict[str, Any]:
    """The folder page's row for one file (labeling.verify_report.COLUMNS)."""
    if report is None:
        return {"name": name, "error": error or "not verified"}
    record = report.record
    return {
        "name": name,
        "c2pa": report.c2pa.state or "none",
        "ai_made": report.ai_disclosure.ai_made,
        "watermark": report.watermark.found,
        "record": f"call {record.call_id} by {record.found_by}" if record else "",
        "found_by": record.found_by if record else None,
        "agrees": _agrees(record.agrees_with_audit_log) if record else None,
        "eu_art50": report.conformance.eu_ai_act_art50.conformant,
        "gb_45438": report.conformance.gb_45438_2025.conformant,
        "error": None,
    }


def print_report(report: VerifyReport, console: Console) -> None:
    """One file's report in words, for a person at a terminal."""
    c2pa = report.c2pa
    console.print(f"[bold]{report.file.name}[/bold]  sha256 {report.file.sha256}")
    if isinstance(c2pa, NoManifest):
        console.print("  C2PA: no manifest in the file")
    else:
        manifest_id = c2pa.manifest_id if isinstance(c2pa, ManifestFacts) else None
        console.print(f"  C2PA: {c2pa.state}  manifest {manifest_id}")
        for code in c2pa.codes:
            if code.get("kind") != "success":
                console.print(f"    {code['code']}: {code['explanation']}")
    ai = report.ai_disclosure
    agents = ", ".join(ai.software_agents) or "none named"
    console.print(
        f"  says AI: {'yes' if ai.ai_made else 'no'} ({ai.disclosed_by or 'no manifest'}); "
        f"software agent: {agents}"
    )
    if report.training_mining:
        terms = ", ".join(f"{k}: {v}" for k, v in report.training_mining.items())
        console.print(f"  training and mining: {terms}")
    implicit = report.implicit_labels
    console.print(
        f"  implicit labels: TC260:AIGC {'present' if implicit.tc260_aigc else 'absent'}"
        + (f" ({'; '.join(implicit.problems)})" if implicit.problems else "")
        + f"; IPTC DigitalSourceType {implicit.digital_source_type or 'absent'}"
    )
    mark = report.watermark
    console.print(
        f"  watermark: {mark.watermark_id} (geometry: {mark.transform})"
        if isinstance(mark, WatermarkFound)
        else "  watermark: none found"
    )
    record = report.record
    if record:
        console.print(
            f"  service record: call {record.call_id}, manifest {record.manifest_id} "
            f"(found by {record.found_by}); identical to the output: "
            f"{'yes' if record.identical_to_output else 'no'}; agrees with the audit log: "
            f"{_agrees(record.agrees_with_audit_log, 'yes', 'NO')}"
        )
        if record.recovered_manifest:
            state = record.recovered_manifest.state
            console.print(
                f"    the manifest kept by the service checks against this file as {state}"
                + (": the file is not the one that was signed" if state == "Invalid" else "")
            )
    else:
        console.print("  service record: none (not an output of this service, or unrecognisable)")
    origin = implicit.origin
    if origin is not None:
        console.print(f"  implicit label's ProduceID: {origin.verdict}: {origin.detail}")
    for regime in (report.conformance.eu_ai_act_art50, report.conformance.gb_45438_2025):
        verdict = "conformant" if regime.conformant else "NOT conformant"
        console.print(f"  {regime.regime}: {verdict}")
        for check in regime.checks:
            console.print(f"    {'ok ' if check.passed else 'no '} {check.name}: {check.detail}")


def _agrees(agrees: bool | None, yes: str | bool = True, no: str | bool = False) -> str | bool:
    """Agreement with the audit log; a record found by fingerprint alone claims nothing
    to agree or disagree with, which is neither yes nor no."""
    if agrees is None:
        return NOT_APPLICABLE
    return yes if agrees else no
