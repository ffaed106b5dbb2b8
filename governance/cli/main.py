"""`govern`: the command line of the service."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlmodel import Session

from governance.cli import demo as demo_command
from governance.cli.works_import import import_folder
from governance.db import unit_of_work
from governance.errors import GovernError
from governance.services import Services, build_services
from governance.settings import get_settings

app = typer.Typer(help="Provenance-aware content governance.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
works_app = typer.Typer(help="The works registry.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(works_app, name="works")
app.add_typer(audit_app, name="audit")
# Its commands live in their own module, which needs `app` no more than it needs them.
from governance.cli.detectors_command import detectors_app  # noqa: E402

app.add_typer(detectors_app, name="detectors")
from governance.cli.works_command import reindex_command  # noqa: E402

works_app.command("reindex")(reindex_command)
from governance.cli.calls_command import calls_app  # noqa: E402
from governance.cli.reports_command import reports_app, worker_command  # noqa: E402

app.add_typer(calls_app, name="calls")
app.add_typer(reports_app, name="reports")
app.command("worker")(worker_command)
console = Console()
# Error lines are not wrapped: they are read by scripts and grepped in logs.
errors = Console(stderr=True, soft_wrap=True)


@contextmanager
def reported_errors() -> Iterator[None]:
    """A service error ends the command with its code and sentence, exit status 2."""
    try:
        yield
    except GovernError as exc:
        errors.print(f"[red]{exc.code}[/red]: {exc.detail}")
        raise typer.Exit(2) from None


@contextmanager
def cli_session() -> Iterator[tuple[Session, Services]]:
    """The services and one transaction, committed when the block succeeds."""
    with reported_errors():
        services = build_services(get_settings())
    try:
        with reported_errors(), unit_of_work(services.engine) as session:
            yield session, services
    finally:
        services.engine.dispose()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the HTTP service (migrates the database first)."""
    import uvicorn

    from governance.app import create_app
    from governance.reports.consumer import EmbeddedConsumers

    with reported_errors():
        settings = get_settings()
        application = create_app(settings)
    # Report jobs run beside the requests (GOVERN_EMBEDDED_WORKERS, 0: `govern worker`
    # runs them), so a laptop needs nothing else; they stop with the server.
    consumers = EmbeddedConsumers(application.state.services, settings.embedded_workers)
    try:
        uvicorn.run(application, host=host, port=port)
    finally:
        consumers.close()


@app.command()
def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the demo keeps its data; wiped on each run.")
    ] = Path("./govern-demo"),
) -> None:
    """Walk through the service offline on SQLite and print what happened."""
    raise typer.Exit(demo_command.run(directory, console))


@app.command("verify")
def verify_command(
    paths: Annotated[list[Path], typer.Argument(help="Image files or folders of images.")],
    out: Annotated[
        Path,
        typer.Option(help="Where several files' report.json, index.html and files/ go."),
    ] = Path("./verify-report"),
    as_json: Annotated[
        bool, typer.Option("--json", help="One file: print its JSON report.")
    ] = False,
    trust_anchor: Annotated[
        list[Path] | None,
        typer.Option(
            help="Check the file alone against this PEM certificate or bundle (the service's "
            "root: GET /v1/labels/ca.pem); needs no deployment and creates nothing. "
            "Repeatable."
        ),
    ] = None,
    no_trust_anchor: Annotated[
        bool,
        typer.Option(
            "--no-trust-anchor",
            help="Check the file alone with no anchor: a manifest is at best Valid.",
        ),
    ] = False,
    url: Annotated[
        str | None,
        typer.Option(help="Ask the service at this address (POST /v1/verify) instead."),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(envvar="GOVERN_API_KEY", help="The API key for --url.", show_default=False),
    ] = None,
) -> None:
    """Check labels: C2PA state, AI disclosure, implicit labels, watermark, the service's
    record, EU Art. 50 and GB 45438 conformance. Inside a deployment its database is read
    (read only); elsewhere give --trust-anchor or --url. Exit 1 if a file could not be
    read, 2 if nothing could be checked."""
    from governance.cli.verify_command import Request, run

    request = Request(paths, out, as_json, trust_anchor or [], no_trust_anchor, url, key)
    raise typer.Exit(run(request, console, errors))


@app.command("screen")
def screen_command(
    paths: Annotated[list[Path], typer.Argument(help="Image files or folders of images.")],
    out: Annotated[
        Path, typer.Option(help="Where a folder's screen.html and screen.json go.")
    ] = Path("./screen-report"),
    as_json: Annotated[
        bool, typer.Option("--json", help="One file: print its JSON answer.")
    ] = False,
    url: Annotated[
        str | None,
        typer.Option(help="Ask the service at this address (POST /v1/screen) instead."),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(envvar="GOVERN_API_KEY", help="The API key for --url.", show_default=False),
    ] = None,
) -> None:
    """Screen files: near-copies of registered works (transform, altered regions), AI-made
    detector scores, and whether a file is an output of this service. Inside a deployment
    its database is read (read only); elsewhere give --url. A folder gets an HTML page
    with the regions drawn. Exit 1 if a file could not be screened, 2 if nothing could."""
    from governance.cli.screen_command import Request as ScreenRequest
    from governance.cli.screen_command import run as run_screen

    raise typer.Exit(run_screen(ScreenRequest(paths, out, as_json, url, key), console, errors))


@keys_app.command("create")
def keys_create(
    role: Annotated[
        str, typer.Option(help="admin, rights_holder, operator, auditor, conservator or regulator")
    ],
    name: Annotated[
        str | None,
        typer.Option(help="A new holder: who the key is for. Refused if the name exists."),
    ] = None,
    holder: Annotated[
        str | None,
        typer.Option(help="An existing holder, whatever its role: adds a key to it."),
    ] = None,
) -> None:
    """Create an API key and print it. It is shown once and stored only hashed."""
    from governance.auth.service import create_key

    with cli_session() as (session, services):
        key, plaintext = create_key(session, services.audit, role, name, holder=holder)
        key_id, key_name = key.id, key.name
    errors.print(
        f"key {key_id} ({role}, {key_name}); store it now, it is not shown again:", markup=False
    )
    print(plaintext)


@keys_app.command("list")
def keys_list() -> None:
    """List the keys, tab-separated: id, name, role, holder, created, revoked. Never a secret."""
    from governance.auth.service import list_keys

    with cli_session() as (session, _services):
        listed = list_keys(session)
    print("id\tname\trole\tholder\tcreated\trevoked")
    for key in listed:
        revoked = key.revoked_at.isoformat() if key.revoked_at else "-"
        row = [str(key.id), key.name, key.role, key.holder or "-", key.created_at.isoformat()]
        # A name may hold tabs or newlines; escaped, each key stays one row of six cells.
        print("\t".join(_cell(cell) for cell in [*row, revoked]))


def _cell(text: str) -> str:
    for raw, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
        text = text.replace(raw, escaped)
    return text


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(help="The key's id.")]) -> None:
    """Revoke an API key."""
    from governance.auth.service import revoke_key

    with cli_session() as (session, services):
        revoke_key(session, services.audit, key_id)
    console.print(f"key {key_id} revoked")


@works_app.command("import")
def works_import(
    directory: Annotated[Path, typer.Argument(help="Folder of images.")],
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
    with reported_errors():
        services = build_services(get_settings())
        report = import_folder(services, directory, holder, console, metadata)
    raise typer.Exit(1 if report.failed else 0)


@audit_app.command("export")
def audit_export(
    out: Annotated[Path, typer.Option(help="Folder to write, or a file ending in .zip.")],
    start: Annotated[int | None, typer.Option("--from", help="First entry (default 0).")] = None,
    end: Annotated[int | None, typer.Option("--to", help="End, exclusive (default: all).")] = None,
    subject: Annotated[
        str | None,
        typer.Option(
            help="Only entries about this, e.g. work:3 (with the calls whose input matched it)."
        ),
    ] = None,
    since: Annotated[
        list[int] | None, typer.Option(help="Add a consistency proof from this tree size.")
    ] = None,
) -> None:
    """Write an offline bundle: checkpoint, entries, proofs, public key, README."""
    from governance.audit.bundle import export_to

    with cli_session() as (session, services):
        entries = export_to(session, services, out, start, end, subject, since or ())
    console.print(f"wrote {entries} entries and their proofs to {out}")


@audit_app.command("verify")
def audit_verify(
    bundle: Annotated[Path, typer.Argument(help="A bundle folder or .zip.")],
    key: Annotated[
        str | None,
        typer.Option(help="The log's verifier key, obtained independently (GET /v1/audit/key)."),
    ] = None,
    trust_bundled_key: Annotated[
        bool,
        typer.Option(help="Accept the key shipped in the bundle: proves integrity, not origin."),
    ] = False,
) -> None:
    """Check a bundle offline, with no database and no service: an audit export, or a
    call's evidence bundle (every file checked, and said what it is)."""
    from governance.audit.verify_bundle import BundleError, bundled_key, open_bundle, verify_bundle
    from governance.audit.verify_evidence import is_evidence, verify_evidence

    if key is None and not trust_bundled_key:
        errors.print(
            "pin the log's key with --key (its verifier key from GET /v1/audit/key); "
            "a forger can ship a key of their own in the bundle. "
            "--trust-bundled-key accepts the bundle's key anyway."
        )
        raise typer.Exit(2)
    try:
        with open_bundle(bundle) as files:
            check = verify_evidence if is_evidence(files) else verify_bundle
            passed = check(files, key or bundled_key(files))
    except BundleError as exc:
        errors.print(f"[red]FAILED[/red]: {exc}")
        raise typer.Exit(1) from None
    for line in passed:
        console.print(f"[green]ok[/green] {line}")
    if key is None:
        console.print("[yellow]the key was taken from the bundle, not pinned[/yellow]")
    console.print("[green]the bundle verifies[/green]")


@audit_app.command("check")
def audit_check(
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option(
            help="A checkpoint kept outside the database (e.g. from an export); "
            "catches entries cut off the end. Repeatable."
        ),
    ] = None,
) -> None:
    """Recompute the whole tree from the database and compare it with every checkpoint,
    reconciling the live rows the API serves with the entries that record them as it
    reads them (one read of the log, on one consistent snapshot)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from governance.audit.check_run import check_everything

    kept = [path.read_text() for path in checkpoint or []]
    with reported_errors():
        services = build_services(get_settings())
    columns = (TextColumn("checking"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    try:
        with reported_errors(), Progress(*columns, console=errors, transient=True) as shown:
            task = shown.add_task("check", total=None)

            def progress(read: int, total: int) -> None:
                shown.update(task, completed=read, total=total)

            report = check_everything(services.engine, services.audit, kept, progress)
    finally:
        services.engine.dispose()
    if report.problems:
        for problem in report.problems:
            errors.print(f"[red]problem[/red]: {problem}", soft_wrap=True)
        raise typer.Exit(1)
    console.print(
        f"[green]the log is intact[/green]: {report.size} entries, every checkpoint verifies, "
        "and the live rows agree with their entries"
    )
