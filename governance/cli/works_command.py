"""`govern works reindex`: near-copy records for works registered before them."""

import typer
from rich.console import Console
from rich.progress import Progress

from governance.db import request_session
from governance.errors import GovernError
from governance.services import build_services
from governance.settings import get_settings
from governance.works.reindex import count_unindexed, reindex_works


def reindex_command() -> None:
    """Describe the works that have no near-copy record yet (registered before near-copy
    matching, or with another vocabulary) from their stored files; a running service
    picks them up as it does new registrations."""
    console, errors = Console(), Console(stderr=True, soft_wrap=True)
    try:
        services = build_services(get_settings())
    except GovernError as exc:
        errors.print(f"[red]{exc.code}[/red]: {exc.detail}")
        raise typer.Exit(2) from None
    try:
        with request_session(services.engine) as session:
            total = count_unindexed(session, services.near_copy_index.vocabulary_id)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("describing works", total=total)
            report = reindex_works(services, lambda: progress.advance(task))
    finally:
        services.engine.dispose()
    console.print(f"[green]{len(report.described)} works described[/green]")
    for work_id, why in report.failed:
        errors.print(f"[red]work {work_id}[/red]: {why}")
    raise typer.Exit(1 if report.failed else 0)
