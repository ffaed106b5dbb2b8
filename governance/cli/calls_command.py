"""`govern calls ...`: a deployment's governed calls, read from its database."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

calls_app = typer.Typer(help="Governed calls.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True, soft_wrap=True)


@calls_app.command("evidence")
def evidence_command(
    call_id: Annotated[int, typer.Argument(help="The call's id.")],
    out: Annotated[Path, typer.Option(help="The zip to write.")],
) -> None:
    """Write a call's evidence bundle (what GET /v1/calls/{id}/evidence answers): its
    record, report, decisions, manifests, audit entries and proofs. Check it with
    `govern audit verify FILE --key ...`. Exit 2 with a sentence when it cannot."""
    from governance.calls.evidence import evidence_zip
    from governance.db import unit_of_work
    from governance.errors import GovernError
    from governance.services import build_services
    from governance.settings import get_settings

    try:
        services = build_services(get_settings())
        try:
            with unit_of_work(services.engine) as session:
                data = evidence_zip(session, services, call_id)
        finally:
            services.engine.dispose()
    except GovernError as exc:
        errors.print(f"[red]{exc.code}[/red]: {exc.detail}")
        raise typer.Exit(2) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    partial.write_bytes(data)
    partial.replace(out)
    console.print(f"wrote the evidence of call {call_id} to {out} ({len(data)} bytes)")
