"""`govern worker` and `govern reports ...`: the report jobs' consumers and checks."""

from typing import Annotated

import typer
from rich.console import Console

from governance.reports.consumer import STALE_AFTER_SECONDS
from governance.settings import get_settings

reports_app = typer.Typer(
    help="Call reports: restorations' explanations, generations' nearest works.",
    no_args_is_help=True,
)
console = Console()
errors = Console(stderr=True, soft_wrap=True)


def worker_command(
    processes: Annotated[
        int, typer.Option(min=1, max=64, help="Consumer processes, one thread each.")
    ] = 1,
    stale_after: Annotated[
        float,
        typer.Option(
            min=0.5,
            help="Seconds after which a running job is taken for dead and queued again.",
        ),
    ] = STALE_AFTER_SECONDS,
) -> None:
    """Run report jobs until stopped (SIGTERM or Ctrl-C end them after the current job)."""
    from governance.reports.workers import run_workers

    run_workers(get_settings(), processes, stale_after)


@reports_app.command("verify")
def verify_command(
    call_id: Annotated[int, typer.Argument(min=1, help="The call whose report to check.")],
) -> None:
    """Build the call's report again and compare it with the stored one, within the
    tolerance the report states; exit 1 on a difference."""
    from governance.errors import GovernError
    from governance.reports.verify import verify_report
    from governance.services import build_services

    services = build_services(get_settings())
    try:
        comparison = verify_report(services, call_id)
    except GovernError as exc:
        errors.print(f"[red]{exc.code}[/red]: {exc.detail}")
        raise typer.Exit(2) from None
    finally:
        services.engine.dispose()
    # A generation's report also says what changed in the registry since (a work's
    # dispute, say): facts about the world, not differences in the report.
    for change in getattr(comparison, "changed_since", []):
        console.print(f"  changed since the report: {change}", markup=False)
    if comparison.ok:
        console.print(f"ok: the report of call {call_id} was reproduced")
        return
    console.print(f"[red]differs[/red]: the report of call {call_id} was not reproduced")
    for difference in comparison.differences:
        console.print(f"  {difference}", markup=False)
    raise typer.Exit(1)
