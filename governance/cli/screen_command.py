"""`govern screen FILE|DIR...`: near-copies of registered works, altered regions, AI-made
scores and the service's own outputs, for any files.

Two ways, neither of which makes a deployment:
- inside a deployment (`GOVERN_DATA_DIR` holds its database, or `GOVERN_DATABASE_URL`
  names one): its database, read only, seen as an admin sees it (as `govern verify`);
- `--url URL --key KEY`: the running service's `POST /v1/screen`, as the key may see it.
Outside a deployment without `--url`, nothing is screened: exit 2.

A folder's files are screened under a progress bar; each folder given gets one HTML page
(screen_page.py) and every answer goes to screen.json beside it; a summary table is
printed. Exit 0, or 1 when a file could not be screened, 2 when nothing could be.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from governance.auth.models import Role
from governance.auth.service import Principal
from governance.cli.aborted import Aborted
from governance.cli.read_only import deployment_here, open_read_only, where
from governance.cli.screen_page import Screened, folder_page
from governance.cli.verify_files import files_to_verify, read_bytes
from governance.db import read_only
from governance.errors import GovernError
from governance.screening.schemas import ScreenedCopy, ScreenResult
from governance.screening.service import search_file
from governance.services import Services
from governance.settings import Settings, get_settings

KEY_VARIABLE = "GOVERN_API_KEY"
# The command reads the deployment's database as only its keepers can: as an admin.
CLI_PRINCIPAL = Principal(actor="cli", name="govern screen", role=Role.ADMIN, holder_id=None)

Outcome = tuple[ScreenResult | None, str | None]


@dataclass(frozen=True)
class Request:
    paths: list[Path]
    out: Path
    as_json: bool
    url: str | None
    key: str | None


class Screener(Protocol):
    checked_with: str

    def __call__(self, path: Path, data: bytes) -> Outcome: ...

    def close(self) -> None: ...


class InDeployment:
    """The deployment's database in sessions that only read: nothing locked or written."""

    def __init__(self, services: Services, shown: str, *, owned: bool = True) -> None:
        self.services = services
        self.owned = owned
        self.checked_with = f"Screened against the deployment's registry ({shown}), as an admin"

    def __call__(self, path: Path, data: bytes) -> Outcome:
        try:
            with Session(read_only(self.services.engine)) as session:
                return search_file(session, self.services, CLI_PRINCIPAL, data), None
        except GovernError as exc:
            return None, f"{exc.code}: {exc.detail}"
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise Aborted(f"the deployment's database stopped answering: {reason}") from None

    def close(self) -> None:
        if self.owned:
            self.services.engine.dispose()


def run(request: Request, console: Console, errors: Console) -> int:
    try:
        screener = _screener(request, errors)
    except Aborted as exc:
        errors.print(str(exc), markup=False, highlight=False)
        return 2
    try:
        groups = screen_paths(screener, request.paths, errors)
    except Aborted as exc:
        errors.print(str(exc), markup=False, highlight=False)
        return 2
    finally:
        screener.close()
    screened = [s for _, files in groups for s in files]
    if not screened:
        errors.print("no image files found (.png .jpg .jpeg .webp .tif .tiff)")
        return 1
    single = len(request.paths) == 1 and not request.paths[0].is_dir()
    if single and request.as_json and screened[0].result is not None:
        print(json.dumps(screened[0].result.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        console.print(summary_table(screened))
    folders = [(folder, files) for folder, files in groups if folder is not None]
    if folders:
        for page in write_pages(folders, request.out, screener.checked_with):
            console.print(f"page: {page}", markup=False)
    for s in screened:
        if s.error:
            errors.print(f"{s.name}: {s.error}", markup=False, highlight=False)
    return 1 if any(s.error for s in screened) else 0


def screen_paths(
    screener: Screener, paths: list[Path], console: Console
) -> list[tuple[str | None, list[Screened]]]:
    """Each argument's files screened, grouped by argument: a folder's name, or None for
    a file named on its own."""
    planned = [(str(p) if p.is_dir() else None, files_to_verify([p])) for p in paths]
    columns = (TextColumn("screening"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    groups: list[tuple[str | None, list[Screened]]] = []
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("screen", total=sum(len(files) for _, files in planned))
        for folder, files in planned:
            done = []
            for path in files:
                data, error = read_bytes(path)
                result = None
                if data is not None:
                    result, error = screener(path, data)
                done.append(Screened(str(path), result, error, data))
                progress.advance(task)
            groups.append((folder, done))
    return groups


def write_pages(
    folders: list[tuple[str, list[Screened]]], out: Path, checked_with: str
) -> list[Path]:
    """screen.html for one folder (screen-01.html, ... for several) and screen.json."""
    out.mkdir(parents=True, exist_ok=True)
    pages = []
    for number, (folder, files) in enumerate(folders, start=1):
        # Numbered, not named after the folder: a folder's name is not a safe file name.
        page = out / ("screen.html" if len(folders) == 1 else f"screen-{number:02d}.html")
        page.write_text(folder_page(folder, files, checked_with))
        pages.append(page)
    document = {
        "checked_with": checked_with,
        "folders": [
            {
                "folder": folder,
                "files": [
                    {"name": s.name, "error": s.error}
                    if s.result is None
                    else {"name": s.name, **s.result.model_dump(mode="json")}
                    for s in files
                ],
            }
            for folder, files in folders
        ],
    }
    (out / "screen.json").write_text(json.dumps(document, indent=2, ensure_ascii=False))
    return pages


def summary_table(screened: list[Screened]) -> Table:
    table = Table(title="Screening")
    for heading in ("file", "near-copies", "best match", "altered", "AI-made", "service output"):
        table.add_column(heading)
    for s in screened:
        if s.result is None:
            table.add_row(s.name, "error", s.error or "", "", "", "")
            continue
        result = s.result
        best = result.near_copies[0] if result.near_copies else None
        synthetic = result.synthetic
        score = "" if synthetic.score is None else f" {synthetic.score:.2f}"
        output = result.service_output
        table.add_row(
            s.name,
            str(len(result.near_copies)),
            f"work {best.work_id} ({best.band.value}, {best.score:.2f})" if best else "none",
            _altered(best) if best else "",
            f"{synthetic.verdict.value}{score}",
            f"call {output.call_id} ({output.found_by})" if output else "no",
        )
    return table


def _altered(best: ScreenedCopy) -> str:
    if best.altered is None:
        return "unknown"
    if not best.altered:
        return "no"
    return "yes" if best.altered_fraction is None else f"yes, {best.altered_fraction:.1%}"


def _screener(request: Request, errors: Console) -> Screener:
    if request.url is not None:
        from governance.cli.screen_remote import Remote

        if not request.key:
            raise Aborted("--url needs the service's key: --key KEY, or GOVERN_API_KEY")
        return Remote(request.url, request.key, errors)
    if request.key is not None and request.key != os.environ.get(KEY_VARIABLE):
        raise Aborted("--key is for --url: a deployment's own database needs no key")
    settings = _settings()
    if not deployment_here(settings):
        raise Aborted(
            f"nothing was screened: there is no deployment here (GOVERN_DATA_DIR is "
            f"{settings.data_dir}, which holds no database, and GOVERN_DATABASE_URL is not "
            "set), and none was made. Screen inside the deployment, or ask a running "
            "service with --url URL --key KEY (POST /v1/screen)."
        )
    return InDeployment(open_read_only(settings), where(settings))


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        raise Aborted(f"the GOVERN_* settings are not valid: {exc}") from None
