"""Calibrating a detector on a deployment's own images: `govern detectors calibrate`.

The detector scores every image; half of each kind (by a seeded split of their hashes)
fits the calibration map and the threshold, the other half measures them. The stored
calibration is audited, and the newest one for the model's weights is in force.
"""

from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlmodel import Session

from governance.adapters.base import ModelKind
from governance.aimodels import clearance
from governance.aimodels.lookup import resolve, retirement_of
from governance.aimodels.models import AiModel, DetectorCalibration
from governance.audit.entries import DetectorCalibrated
from governance.db import begin_write, end_reads
from governance.detectors.active import ActiveDetector
from governance.detectors.assess import DetectorRunFailed, run_detector
from governance.detectors.calibration_files import (
    CalibrationFile,
    check_counts,
    files_sha256,
    list_images,
    read_pixels,
    split,
)
from governance.detectors.errors import DetectorFailed, DetectorNotUsable, NotADetector
from governance.detectors.metrics import (
    Method,
    auc,
    expected_calibration_error,
    fit,
    rates_at,
    threshold_at_fpr,
)
from governance.detectors.schemas import CalibrationFigures, CalibrationOut
from governance.errors import InvalidInput
from governance.services import Services
from rights.clearance import Verdict

Progress = Callable[[Path], None]


def calibrate_detector(
    session: Session,
    services: Services,
    model_ref: int | str,
    real_dir: Path,
    synthetic_dir: Path,
    actor: str,
    method: Method = Method.PLATT,
    target_fpr: float = 0.05,
    progress: Progress | None = None,
) -> CalibrationOut:
    """Fit, measure, store and audit a calibration of the detector `model_ref` (an id,
    or a name: its version that calls would get). `progress` is called after each file."""
    if not 0.0 < target_fpr < 0.5:
        raise InvalidInput(f"the false-positive rate must be between 0 and 0.5, not {target_fpr}")
    model = resolve(session, model_ref)
    detector = _usable_detector(session, model)
    real = list_images(real_dir, synthetic=False)
    synthetic = list_images(synthetic_dir, synthetic=True)
    check_counts(real, synthetic, target_fpr)
    end_reads(session)  # the detector runs on every file: no transaction meanwhile
    scores = {f.sha256: _score(services, detector, f, progress) for f in [*real, *synthetic]}
    fit_real, held_real = split(real)
    fit_synthetic, held_synthetic = split(synthetic)
    fit_files, held_files = fit_real + fit_synthetic, held_real + held_synthetic
    fit_scores, fit_labels = _arrays(fit_files, scores)
    held_scores, held_labels = _arrays(held_files, scores)
    calibrator = fit(method, fit_scores, fit_labels)
    fitted = calibrator.apply(fit_scores)
    threshold = threshold_at_fpr(fitted[fit_labels == 0], target_fpr)
    held = calibrator.apply(held_scores)
    held_fpr, held_tpr = rates_at(held, held_labels, threshold)
    figures = CalibrationFigures(
        auc=auc(held_scores, held_labels),
        ece=expected_calibration_error(held, held_labels),
        ece_uncalibrated=expected_calibration_error(held_scores, held_labels),
        held_out_fpr=held_fpr,
        held_out_tpr=held_tpr,
        fitted_real=len(fit_real),
        fitted_synthetic=len(fit_synthetic),
        held_out_real=len(held_real),
        held_out_synthetic=len(held_synthetic),
    )
    begin_write(session)
    entry = services.audit.record(
        session,
        f"model:{detector.model_id}",
        actor,
        DetectorCalibrated(
            model_id=detector.model_id,
            name=detector.name,
            version=detector.version,
            weights_sha256=detector.weights_sha256,
            method=method.value,
            parameters=calibrator.parameters,
            figures=figures.model_dump(),
            target_fpr=target_fpr,
            threshold=threshold,
            real_files_sha256=files_sha256(real),
            synthetic_files_sha256=files_sha256(synthetic),
        ),
    )
    row = DetectorCalibration(
        model_id=detector.model_id,
        weights_sha256=detector.weights_sha256,
        method=method.value,
        parameters=calibrator.parameters,
        figures=figures.model_dump(),
        target_fpr=target_fpr,
        threshold=threshold,
        calibrated_by=actor,
        audit_index=entry.idx,
    )
    session.add(row)
    session.flush()
    return calibration_out(row, detector.name, detector.version)


def calibration_out(row: DetectorCalibration, name: str, version: str) -> CalibrationOut:
    assert row.id is not None
    return CalibrationOut(
        id=row.id,
        model_id=row.model_id,
        name=name,
        version=version,
        weights_sha256=row.weights_sha256,
        method=row.method,
        parameters=row.parameters,
        target_fpr=row.target_fpr,
        threshold=row.threshold,
        figures=CalibrationFigures.model_validate(row.figures),
        calibrated_by=row.calibrated_by,
        audit_index=row.audit_index,
        created_at=row.created_at,
    )


def _usable_detector(session: Session, model: AiModel) -> ActiveDetector:
    assert model.id is not None
    named = f"model {model.id} ('{model.name}' version '{model.version}')"
    if model.kind != ModelKind.DETECTOR.value:
        raise NotADetector(f"{named} is a {model.kind} model, not a detector")
    retired = retirement_of(session, model.id)
    if retired is not None:
        raise DetectorNotUsable(f"{named} was retired by {retired.retired_by}: {retired.reason}")
    row = clearance.latest(session, model.id)
    if row is None or row.verdict != Verdict.CLEARED.value:
        verdict = row.verdict if row is not None else "not cleared"
        raise DetectorNotUsable(
            f"{named} is not cleared ({verdict}): a detector that may not run is not calibrated"
        )
    return ActiveDetector(
        model_id=model.id,
        name=model.name,
        version=model.version,
        adapter=model.adapter,
        weights_sha256=model.weights_sha256,
        calibration=None,
    )


def _score(
    services: Services,
    detector: ActiveDetector,
    file: CalibrationFile,
    progress: Progress | None,
) -> float:
    pixels = read_pixels(file, services.settings)
    try:
        raw = run_detector(services, detector, pixels)
    except DetectorRunFailed as exc:
        raise DetectorFailed(f"the detector gave no score on {file.path}: {exc.detail}") from None
    if progress is not None:
        progress(file.path)
    return raw


def _arrays(
    files: list[CalibrationFile], scores: dict[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    values = np.array([scores[f.sha256] for f in files], dtype=np.float64)
    labels = np.array([1 if f.synthetic else 0 for f in files], dtype=np.int64)
    return values, labels
