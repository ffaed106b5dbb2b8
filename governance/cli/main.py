"""`govern`: the command line of the service."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from governance.cli import demo as demo_command
from governance.cli.works_import import import_folder
from governance.db import make_engine, prepare_storage, unit_of_work
from governance.errors import GovernError
from governance.settings import get_settings

app = typer.Typer(help="Provenance-aware content governance.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
works_app = typer.Typer(help="The works registry.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(works_app, name="works")
console = Console()
errors = Console(stderr=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the HTTP service (migrates the database first)."""
    import uvicorn

    from governance.app import create_app

    uvicorn.run(create_app(get_settings()), host=host, port=port)


@app.command()
def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the demo keeps its data; wiped on each run.")
    ] = Path("./govern-demo"),
) -> None:
    """Walk through the service offline on SQLite and print what happened."""
    raise typer.Exit(demo_command.run(directory, console))


@keys_app.command("create")
def keys_create(
    role: Annotated[
        str, typer.Option(help="admin, rights_holder, operator, auditor, conservator or regulator")
    ],
    name: Annotated[str, typer.Option(help="Who the key is for.")],
    holder: Annotated[
        str | None, typer.Option(help="rights_holder only: the holder's name (default: --name).")
    ] = None,
) -> None:
    """Create an API key and print it. It is shown once and stored only hashed."""
    from governance.auth.service import create_key

    settings = get_settings()
    prepare_storage(settings)
    try:
        with unit_of_work(make_engine(settings.resolved_database_url)) as session:
            key, plaintext = create_key(session, role, name, holder)
            key_id = key.id
    except GovernError as exc:
        errors.print(f"[red]{exc.code}[/red]: {exc.detail}")
        raise typer.Exit(2) from None
    errors.print(f"key {key_id} ({role}, {name}); store it now, it is not shown again:")
    print(plaintext)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(help="The key's id.")]) -> None:
    """Revoke an API key."""
    from governance.auth.service import revoke_key

    settings = get_settings()
    prepare_storage(settings)
    try:
        with unit_of_work(make_engine(settings.resolved_database_url)) as session:
            revoke_key(session, key_id)
    except GovernError as exc:
        errors.print(f"[red]{exc.code}[/red]: {exc.detail}")
        raise typer.Exit(2) from None
    console.print(f"key {key_id} revoked")


@works_app.command("import")
def works_import(
    directory: Annotated[
        Path, typer.Argument(help="Folder of images with works.csv or works.json beside them.")
    ],
    holder: Annotated[str, typer.Option(help="The rights holder the works belong to.")],
    metadata: Annotated[
        Path | None,
        typer.Option(
            help="JSON or CSV describing the files (default: works.json/.csv inside "
            "DIR, or DIR.json/.csv beside it)."
        ),
    ] = None,
) -> None:
    """Register a folder of works; bad files are reported and skipped."""
    settings = get_settings()
    prepare_storage(settings)
    try:
        report = import_folder(settings, directory, holder, console, metadata)
    except GovernError as exc:
        errors.print(f"[red]{exc.code}[/red]: {exc.detail}")
        raise typer.Exit(2) from None
    raise typer.Exit(1 if report.failed else 0)
