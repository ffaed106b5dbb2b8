"""Does an image look AI-made? Every active, cleared detector gives its score.

A score is evidence for a person or a record, never a refusal on its own: this service
decides nothing, and a detector that fails is reported beside the others, not raised.
"""

import time

import numpy as np
from sqlmodel import Session

from governance.adapters.base import Detector, ModelKind
from governance.adapters.loader import AdapterSpec
from governance.adapters.workers import WORKERS, ModelRun
from governance.db import end_reads
from governance.detectors.active import ActiveDetector, active_detectors
from governance.detectors.metrics import apply_calibration
from governance.detectors.schemas import (
    DetectorFailure,
    DetectorScore,
    SyntheticOut,
    SyntheticVerdict,
)
from governance.model_errors import ModelRunError, ModelTimeout
from governance.services import Services


def assess_synthetic(session: Session, services: Services, image: np.ndarray) -> SyntheticOut:
    """Run every active, cleared detector (`active_detectors`) on `image` (uint8 height x
    width x 3; grey and RGBA are accepted and made RGB).

    Call it before the caller's `begin_write`: the reads end here (`end_reads`) and no
    transaction is held while the models load and run.
    """
    pixels = _as_rgb(image)
    detectors = active_detectors(session)
    end_reads(session)
    scores: list[DetectorScore] = []
    failed: list[DetectorFailure] = []
    for detector in detectors:
        outcome = _score(services, detector, pixels)
        if isinstance(outcome, DetectorFailure):
            failed.append(outcome)
        else:
            scores.append(outcome)
    return summarise(scores, failed)


def summarise(scores: list[DetectorScore], failed: list[DetectorFailure]) -> SyntheticOut:
    """One verdict over the detectors: flagged if any calibrated one flags the image."""
    calibrated = [s.probability for s in scores if s.probability is not None]
    verdicts = {s.verdict for s in scores}
    if SyntheticVerdict.LIKELY_SYNTHETIC in verdicts:
        verdict = SyntheticVerdict.LIKELY_SYNTHETIC
    elif SyntheticVerdict.NOT_FLAGGED in verdicts:
        verdict = SyntheticVerdict.NOT_FLAGGED
    elif scores:
        verdict = SyntheticVerdict.UNCALIBRATED
    else:
        verdict = SyntheticVerdict.NO_DETECTOR
    return SyntheticOut(
        score=max(calibrated) if calibrated else None,
        verdict=verdict,
        detectors=scores,
        failed=failed,
    )


def read_score(detector: ActiveDetector, raw: float) -> DetectorScore:
    """The raw score read through the detector's calibration in force, if it has one."""
    calibration = detector.calibration
    probability = threshold = target_fpr = None
    calibration_id = None
    verdict = SyntheticVerdict.UNCALIBRATED
    if calibration is not None:
        probability = float(
            apply_calibration(calibration.method, calibration.parameters, np.array([raw]))[0]
        )
        threshold, target_fpr = calibration.threshold, calibration.target_fpr
        calibration_id = calibration.id
        verdict = (
            SyntheticVerdict.LIKELY_SYNTHETIC
            if probability >= threshold
            else SyntheticVerdict.NOT_FLAGGED
        )
    return DetectorScore(
        model_id=detector.model_id,
        name=detector.name,
        version=detector.version,
        weights_sha256=detector.weights_sha256,
        raw_score=raw,
        probability=probability,
        threshold=threshold,
        target_fpr=target_fpr,
        calibration_id=calibration_id,
        verdict=verdict,
    )


def run_detector(services: Services, detector: ActiveDetector, image: np.ndarray) -> float:
    """The detector's raw score on `image`, under the service's model time limit, from
    the registered weights only. Raises DetectorRunFailed saying why not."""
    scheme, _, target = detector.adapter.partition(":")
    try:
        loaded = services.model_loader.load(AdapterSpec(scheme, target), ModelKind.DETECTOR)
    except Exception as exc:  # whatever loading raises, this detector gives no score
        raise DetectorRunFailed("model_unavailable", f"the model cannot be loaded: {exc}") from exc
    if loaded.weights_sha256 != detector.weights_sha256:
        raise DetectorRunFailed(
            "weights_changed",
            f"the weights on disk hash to {loaded.weights_sha256}, not to the registered "
            f"{detector.weights_sha256}: this is not the model that was cleared",
        )
    runner: Detector = loaded.runner  # type: ignore[assignment]
    timeout = services.settings.model_timeout_seconds
    deadline = time.monotonic() + timeout
    run = ModelRun(lambda: np.array([runner.score(image, deadline)], dtype=np.float64))
    if not WORKERS.submit(run):
        raise DetectorRunFailed("model_busy", f"all {WORKERS.limit} model workers are busy")
    if not run.done.wait(timeout) or isinstance(run.error, ModelTimeout):
        raise DetectorRunFailed("model_timeout", f"the model ran past its {timeout:g} s limit")
    if run.error is not None:
        detail = str(run.error)
        if not isinstance(run.error, ModelRunError):
            detail = f"the model raised {type(run.error).__name__}: {run.error}"
        raise DetectorRunFailed("model_error", detail)
    assert run.output is not None
    raw = float(run.output[0])
    if not 0.0 <= raw <= 1.0:  # NaN fails this too
        raise DetectorRunFailed("model_error", f"the detector returned {raw}, not a 0-1 score")
    return raw


class DetectorRunFailed(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def _score(
    services: Services, detector: ActiveDetector, image: np.ndarray
) -> DetectorScore | DetectorFailure:
    try:
        raw = run_detector(services, detector, image)
    except DetectorRunFailed as exc:
        return DetectorFailure(
            model_id=detector.model_id,
            name=detector.name,
            version=detector.version,
            code=exc.code,
            detail=exc.detail,
        )
    return read_score(detector, raw)


def _as_rgb(image: np.ndarray) -> np.ndarray:
    if image.dtype != np.uint8 or not image.size:
        raise ValueError("the image must be a non-empty uint8 array")
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim == 3 and image.shape[2] in (3, 4):
        return np.ascontiguousarray(image[:, :, :3])
    raise ValueError(f"the image must be height x width (x 3), not {image.shape}")
