"""`govern verify FILE|DIR...`: label reports for files, a JSON and HTML report for folders.

Who verifies is a `Verifier` (verify_command.py picks one): the local deployment's
database, read only (`InDeployment`); the service over HTTP (verify_remote.py); or the
file alone against given trust anchors (verify_command.FileAlone). Each turns a path into
a report, or a sentence saying why there is none, and may raise `Aborted` when it cannot
go on at all (a service that refuses the key).
"""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from governance.auth.models import Role
from governance.cli.aborted import Aborted
from governance.credentials.report import FileOnlyReport, Regime, VerifyReport
from governance.credentials.report_html import report_html, verdict
from governance.credentials.verify_file import verify
from governance.db import read_only
from governance.errors import GovernError
from governance.services import Services
from labeling.verify_report import counts, folder_html

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff"}
NOT_APPLICABLE = "not applicable (fingerprint only)"
NOT_CONSULTED = "not consulted"
TITLE = "Label verification report"
# Each file's own page, beside the folder's index.html.
PAGES = "files"

Outcome = tuple[VerifyReport | None, str | None]


class Verifier(Protocol):
    # How the files were checked, for report.json; `note`, a caution for the pages.
    checked_with: dict[str, Any]
    note: str | None

    def __call__(self, path: Path) -> Outcome: ...

    def close(self) -> None: ...


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
    checked_with: dict[str, Any] = field(default_factory=dict)
    note: str | None = None

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


def read_bytes(path: Path) -> tuple[bytes | None, str | None]:
    try:
        return path.read_bytes(), None
    except OSError as exc:
        return None, f"cannot be read: {exc.strerror or exc}"


# The command reads the database itself, as only its keepers can: it sees what an admin
# is served (every output that is served to anyone; see calls.status).
CLI_ROLE = Role.ADMIN


class InDeployment:
    """Verification against a deployment's database, in sessions that only read: no
    transaction is begun, so nothing is locked and nothing can be written."""

    def __init__(
        self, services: Services, role: Role = CLI_ROLE, where: str = "", *, owned: bool = False
    ) -> None:
        self.note: str | None = None
        self.services = services
        self.owned = owned  # opened for this run (read_only.open_read_only): closed with it
        self.role = role
        self.checked_with: dict[str, Any] = {"records": "deployment", "database": where}

    def __call__(self, path: Path) -> Outcome:
        data, error = read_bytes(path)
        if data is None:
            return None, error
        try:
            with Session(read_only(self.services.engine)) as session:
                return verify(session, self.services, self.role, data, path.name), None
        except GovernError as exc:
            return None, f"{exc.code}: {exc.detail}"
        except OSError as exc:
            # A stored manifest the records name, missing from this data dir.
            return None, f"the deployment's stored files cannot be read: {exc}"
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise Aborted(f"the deployment's database stopped answering: {reason}") from None

    def close(self) -> None:
        if self.owned:
            self.services.engine.dispose()


def verify_paths(
    services: Services, paths: list[Path], console: Console, role: Role = CLI_ROLE
) -> VerifyRun:
    """The files under `paths` checked against these services' database (the demo's)."""
    return run_verifier(InDeployment(services, role), paths, console)


def run_verifier(verifier: Verifier, paths: list[Path], console: Console) -> VerifyRun:
    run = VerifyRun(checked_with=verifier.checked_with, note=verifier.note)
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
            report, error = verifier(path)
            run.files.append(Verified(str(path), report, error))
            run.rows.append(summary_row(str(path), report, error))
            progress.advance(task)
    return run


def write_reports(run: VerifyRun, out: Path) -> tuple[Path, Path]:
    """report.json (every report), index.html (the summary) and files/NNNN.html (each
    file's own page, the one the service serves at POST /v1/verify/report.html)."""
    (out / PAGES).mkdir(parents=True, exist_ok=True)
    report_json = out / "report.json"
    document = {
        "checked_with": run.checked_with,
        "counts": counts(run.rows),
        "files": [f.to_json() for f in run.files],
    }
    report_json.write_text(json.dumps(document, indent=2, ensure_ascii=False))
    links: list[str | None] = []
    for number, verified in enumerate(run.files, start=1):
        if verified.report is None:
            links.append(None)
            continue
        # Numbered, not named after the file: a file's name is not a safe path.
        link = f"{PAGES}/{number:04d}.html"
        (out / link).write_text(report_html(verified.report, TITLE))
        links.append(link)
    page = out / "index.html"
    page.write_text(folder_html(run.rows, TITLE, links=links, note=run.note))
    return report_json, page


def summary_row(name: str, report: VerifyReport | None, error: str | None) -> dict[str, Any]:
    """The folder page's row for one file (labeling.verify_report.COLUMNS)."""
    if report is None:
        return {"name": name, "error": error or "not verified"}
    record = report.record
    consulted = not isinstance(report, FileOnlyReport)
    eu, gb = report.conformance.eu_ai_act_art50, report.conformance.gb_45438_2025
    row: dict[str, Any] = {
        "name": name,
        "c2pa": report.c2pa.state or "none",
        "ai_made": report.ai_disclosure.ai_made,
        "watermark": report.watermark.found,
        "record": f"call {record.call_id} by {record.found_by}" if record else "",
        "found_by": record.found_by if record else None,
        "agrees": agreement(record.agrees_with_audit_log) if record else None,
        "eu_art50": _conformant(report, eu),
        "gb_45438": _conformant(report, gb),
        "error": None,
    }
    if not consulted:
        row.update(consulted=False, record=NOT_CONSULTED, agrees=NOT_CONSULTED)
    return row


def _conformant(report: VerifyReport, regime: Regime) -> bool | str:
    _, kind = verdict(report, regime)
    return regime.conformant if kind != "open" else "not established (file alone)"


def agreement(agrees: bool | None, yes: str | bool = True, no: str | bool = False) -> str | bool:
    """Agreement with the audit log; a record found by fingerprint alone claims nothing
    to agree or disagree with, which is neither yes nor no."""
    if agrees is None:
        return NOT_APPLICABLE
    return yes if agrees else no
