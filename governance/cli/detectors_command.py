"""`govern detectors ...`: calibrating the AI-made-image detectors on a deployment's images."""

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from governance.detectors.calibration_files import IMAGE_SUFFIXES
from governance.detectors.metrics import Method
from governance.detectors.schemas import CalibrationOut
from governance.errors import GovernError

detectors_app = typer.Typer(help="AI-made-image detectors.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True, soft_wrap=True)
ACTOR = "cli:detectors-calibrate"


@detectors_app.command("calibrate")
def calibrate(
    model: Annotated[str, typer.Argument(help="The detector's id, or its name.")],
    real: Annotated[
        Path, typer.Option("--real", help="Folder of real images from this deployment.")
    ],
    synthetic: Annotated[Path, typer.Option("--synthetic", help="Folder of AI-made images.")],
    method: Annotated[Method, typer.Option(help="The calibration map.")] = Method.PLATT,
    fpr: Annotated[
        float, typer.Option("--fpr", help="False-positive rate the threshold is set at.")
    ] = 0.05,
) -> None:
    """Fit a calibration on half of the images, measure it on the other half, and store
    it with the model (audited). Exit 2 with a sentence when it cannot."""
    from governance.db import unit_of_work
    from governance.detectors.calibrate import calibrate_detector
    from governance.services import build_services
    from governance.settings import get_settings

    total = _count(real) + _count(synthetic)
    try:
        services = build_services(get_settings())
    except GovernError as exc:
        _fail(exc)
    try:
        with (
            Progress(
                TextColumn("scoring"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as bar,
            unit_of_work(services.engine) as session,
        ):
            task = bar.add_task("files", total=total)
            out = calibrate_detector(
                session,
                services,
                int(model) if model.isdigit() else model,
                real,
                synthetic,
                ACTOR,
                method=method,
                target_fpr=fpr,
                progress=lambda _path: bar.advance(task),
            )
    except GovernError as exc:
        _fail(exc)
    finally:
        services.engine.dispose()
    _report(out)


def _count(directory: Path) -> int:
    if not directory.is_dir():
        return 0
    return sum(1 for p in directory.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _fail(exc: GovernError) -> NoReturn:
    errors.print(f"[red]{exc.code}[/red]: {exc.detail}")
    raise typer.Exit(2) from None


def _report(out: CalibrationOut) -> None:
    f = out.figures
    console.print(
        f"calibration {out.id} of model {out.model_id} ('{out.name}' version '{out.version}'), "
        f"{out.method}, audit entry {out.audit_index}"
    )
    console.print(
        f"fitted on {f.fitted_real} real and {f.fitted_synthetic} synthetic images; "
        f"held out {f.held_out_real} real and {f.held_out_synthetic} synthetic"
    )
    console.print(f"held-out AUC {f.auc:.3f}")
    console.print(
        f"held-out expected calibration error {f.ece:.3f} (uncalibrated {f.ece_uncalibrated:.3f})"
    )
    console.print(
        f"threshold {out.threshold:.4f} on the calibrated probability at {out.target_fpr:g} "
        f"false positives: held out, {f.held_out_fpr:.3f} of real and {f.held_out_tpr:.3f} "
        "of synthetic images flagged"
    )
