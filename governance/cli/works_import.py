"""`govern works import DIR`: register a folder of works, one transaction per file, each
as registration over HTTP does it (near-copy record, duplicate and dispute checks)."""

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from governance.auth.models import Role
from governance.auth.service import Principal
from governance.db import request_session, unit_of_work
from governance.errors import FileTooLarge, GovernError, InvalidInput
from governance.services import Services
from governance.works.schemas import WorkMetadata
from governance.works.service import register_work
from rights.registry import holder_by_name
from rights.terms import Use

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff"}


@dataclass
class ImportReport:
    registered: list[tuple[str, int]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def metadata_file(directory: Path, given: Path | None) -> Path:
    """The file describing the folder: given, or works.json/.csv inside, or DIR.json/.csv beside."""
    candidates = (
        [given]
        if given
        else [
            directory / "works.json",
            directory / "works.csv",
            directory.with_name(directory.name + ".json"),
            directory.with_name(directory.name + ".csv"),
        ]
    )
    for candidate in candidates:
        if candidate.is_file() and candidate.suffix.lower() in (".json", ".csv"):
            return candidate
    if given:
        raise InvalidInput(f"{given} is not a .json or .csv file")
    raise InvalidInput(
        f"{directory} has no works.json or works.csv describing its files "
        f"(nor {directory.name}.json/.csv beside it); or pass --metadata FILE"
    )


def read_metadata_rows(path: Path) -> list[dict[str, Any]]:
    """Rows from JSON (a list of objects) or CSV (a column per field or use)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path} is not UTF-8 text: {exc}") from None
    if path.suffix.lower() == ".json":
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path} is not valid JSON: {exc}") from None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise InvalidInput(f"{path} must hold a list of objects")
        return rows
    return [_csv_row(row) for row in csv.DictReader(io.StringIO(text, newline=""))]


def _csv_row(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as a JSON row: the `terms` cell (JSON) and a column per use, merged."""
    uses = {u.value for u in Use}
    out: dict[str, Any] = {k: v for k, v in row.items() if k not in uses and k != "terms"}
    terms: Any = {}
    if row.get("terms"):
        try:
            terms = json.loads(row["terms"])
        except json.JSONDecodeError as exc:
            terms = _Unreadable(f"the 'terms' cell is not valid JSON: {exc}")
    if isinstance(terms, dict):
        terms.update({k: v for k, v in row.items() if k in uses and v})
    out["terms"] = terms
    return out


class _Unreadable(str):
    """A cell that could not be read: reported on its own row, not for the whole file."""


def import_folder(
    services: Services,
    directory: Path,
    holder: str,
    console: Console,
    metadata: Path | None = None,
) -> ImportReport:
    if not directory.is_dir():
        raise InvalidInput(f"{directory} is not a folder")
    rows = read_metadata_rows(metadata_file(directory, metadata))
    with unit_of_work(services.engine) as session:
        found = holder_by_name(session, holder)
        assert found is not None
        principal = Principal(
            actor="cli:works-import", name=holder, role=Role.RIGHTS_HOLDER, holder_id=found.id
        )
    report = ImportReport()
    listed = set()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("registering works", total=len(rows))
        for number, row in enumerate(rows, start=1):
            name = str(row.get("file") or f"row {number}")
            listed.add(name)
            try:
                work_id = _register_row(services, principal, directory, row)
                report.registered.append((name, work_id))
            except GovernError as exc:
                report.failed.append((name, f"{exc.code}: {exc.detail}"))
            except Exception as exc:
                # One file's bug must not stop the batch; it is reported as the bug it is.
                report.failed.append((name, f"InternalError (a bug, please report): {exc!r}"))
            progress.advance(task)
    for path in sorted(directory.iterdir()):
        if path.suffix.lower() in IMAGE_SUFFIXES and path.name not in listed:
            report.failed.append((path.name, "not described in works.json / works.csv"))
    _print_report(report, console)
    return report


def _register_row(
    services: Services,
    principal: Principal,
    directory: Path,
    row: dict[str, Any],
) -> int:
    file_name = row.get("file")
    if not isinstance(file_name, str) or not file_name:
        raise InvalidInput("the row names no file")
    path = (directory / file_name).resolve()
    if directory.resolve() not in path.parents or not path.is_file():
        raise InvalidInput(f"no file '{file_name}' in the folder")
    limit = services.settings.max_upload_bytes
    if isinstance(row.get("terms"), _Unreadable):
        raise InvalidInput(str(row["terms"]))
    if path.stat().st_size > limit:
        raise FileTooLarge(f"the file is larger than the limit of {limit} bytes")
    try:
        metadata = WorkMetadata.model_validate({k: v for k, v in row.items() if k != "file"})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(problems) from None
    # A request's session: the picture is described and searched for with no transaction
    # open, so a service running beside the import is not kept waiting for its lock.
    with request_session(services.engine) as session:
        work = register_work(session, services, principal, path.read_bytes(), metadata)
    return work.id


def _print_report(report: ImportReport, console: Console) -> None:
    console.print(
        f"[green]{len(report.registered)} registered[/green], "
        f"[red]{len(report.failed)} skipped[/red]"
    )
    if report.failed:
        table = Table("file", "why it was skipped")
        for name, why in report.failed:
            table.add_row(name, why)
        console.print(table)
