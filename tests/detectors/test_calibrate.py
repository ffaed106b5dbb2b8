"""Calibrating a detector on a deployment's images, with a toy detector whose score is
the mean brightness: every figure can be worked out again from the files."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlmodel import Session, select

from governance.aimodels.models import DetectorCalibration
from governance.audit.entries import DetectorCalibrated, parse_entry_as
from governance.audit.models import AuditEntry
from governance.db import request_session
from governance.detectors.calibrate import calibrate_detector
from governance.detectors.calibration_files import files_sha256, list_images, split
from governance.detectors.errors import (
    DetectorNotUsable,
    NotADetector,
    TooFewImages,
    UnreadableImage,
)
from governance.detectors.metrics import Method, auc, expected_calibration_error, sigmoid
from governance.detectors.schemas import CalibrationOut
from governance.errors import InvalidInput, ModelNotFound
from tests.detectors.helpers import register_detector, toy_sets, write_set
from tests.support.model_helpers import manifest, register_model, unrelated_item
from tests.support.service_fixture import Service


def run(service: Service, model: int | str, real: Path, synthetic: Path, **kw) -> CalibrationOut:  # type: ignore[no-untyped-def]
    services = service.app.state.services
    with request_session(services.engine) as session:
        return calibrate_detector(session, services, model, real, synthetic, "tester", **kw)


def calibrated(out: CalibrationOut):  # type: ignore[no-untyped-def]
    """The stored map, applied by hand."""
    p = out.parameters
    if out.method == "platt":
        a, b = p["a"], p["b"]
        assert isinstance(a, float) and isinstance(b, float)
        return lambda s: sigmoid(a * np.log(s / (1 - s)) + b)
    xs, ys = p["x"], p["y"]
    return lambda s: np.interp(s, xs, ys)


def brightness_of(paths: list[Path]) -> np.ndarray:
    return np.array([np.asarray(Image.open(p).convert("RGB")).mean() / 255 for p in paths])


@pytest.mark.parametrize("method", [Method.PLATT, Method.ISOTONIC])
def test_figures_are_those_of_the_held_out_half(
    service: Service, tmp_path: Path, method: Method
) -> None:
    model_id = register_detector(service, "bright", "brightness")
    real, synthetic = toy_sets(tmp_path)
    out = run(service, model_id, real, synthetic, method=method, target_fpr=0.1)
    # Again by hand, from the files: the same split, the brightness as the score.
    fit_real, held_real = split(list_images(real, False))
    _, held_synthetic = split(list_images(synthetic, True))
    held_paths = [f.path for f in held_real + held_synthetic]
    held_scores = brightness_of(held_paths)
    held_labels = np.array([0] * len(held_real) + [1] * len(held_synthetic))
    f = out.figures
    assert (f.fitted_real, f.fitted_synthetic, f.held_out_real, f.held_out_synthetic) == (
        20,
        20,
        20,
        20,
    )
    assert f.auc == pytest.approx(auc(held_scores, held_labels))
    assert f.auc > 0.75  # the sets' means are two spreads apart: about 0.92 expected
    probabilities = calibrated(out)
    held_probabilities = probabilities(held_scores)
    if method is Method.PLATT:
        assert isinstance(out.parameters["a"], float) and out.parameters["a"] > 0  # brighter
    else:
        ys = out.parameters["y"]
        assert isinstance(ys, list) and ys == sorted(ys) and 0.0 <= ys[0] <= ys[-1] <= 1.0
    assert f.ece == pytest.approx(expected_calibration_error(held_probabilities, held_labels))
    assert f.ece_uncalibrated == pytest.approx(expected_calibration_error(held_scores, held_labels))
    flagged = held_probabilities >= out.threshold
    assert f.held_out_fpr == pytest.approx(flagged[held_labels == 0].mean())
    assert f.held_out_tpr == pytest.approx(flagged[held_labels == 1].mean())
    # The threshold keeps the fitted real images at the rate asked for, and no lower.
    fitted = probabilities(brightness_of([x.path for x in fit_real]))
    assert (fitted >= out.threshold).mean() <= 0.1
    assert (fitted >= np.sort(fitted)[-3]).mean() > 0.1
    assert out.method == method.value and out.target_fpr == 0.1
    assert out.calibrated_by == "tester" and out.model_id == model_id


def test_the_calibration_is_stored_audited_and_the_newest_is_in_force(
    service: Service, tmp_path: Path
) -> None:
    model_id = register_detector(service, "bright", "brightness")
    real, synthetic = toy_sets(tmp_path)
    first = run(service, "bright", real, synthetic)
    second = run(service, model_id, real, synthetic, method=Method.ISOTONIC)
    engine = service.app.state.services.engine
    with Session(engine) as session:
        rows = session.exec(select(DetectorCalibration)).all()
        assert [r.id for r in rows] == [first.id, second.id]
        entry = session.exec(select(AuditEntry).where(AuditEntry.idx == second.audit_index)).one()
    stored = parse_entry_as(entry.entry, DetectorCalibrated)
    assert stored.kind == "detector.calibrated" and stored.subject == f"model:{model_id}"
    data = stored.data
    assert data.method == "isotonic" and data.threshold == second.threshold
    assert data.figures["auc"] == second.figures.auc
    assert data.real_files_sha256 == files_sha256(list_images(real, False))
    assert data.synthetic_files_sha256 != data.real_files_sha256
    shown = service.client.get(
        f"/v1/models/{model_id}", headers={"Authorization": f"Bearer {service.keys['operator']}"}
    ).json()
    assert shown["calibration"]["id"] == second.id
    assert shown["calibration"]["method"] == "isotonic"
    assert shown["calibration"]["figures"]["auc"] == pytest.approx(second.figures.auc)


def test_sets_too_small_or_empty_are_refused(service: Service, tmp_path: Path) -> None:
    model_id = register_detector(service, "bright", "brightness")
    real, synthetic = toy_sets(tmp_path, real=30)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not an image")
    with pytest.raises(TooFewImages, match="holds no images"):
        run(service, model_id, empty, synthetic)
    few = tmp_path / "few"
    write_set(few, [0.5] * 9, seed=9)
    with pytest.raises(TooFewImages, match="at least 10 of each"):
        run(service, model_id, real, few)
    # 30 real images: 15 fitted, too few for a 5% threshold (20 needed), enough for 10%.
    with pytest.raises(TooFewImages, match="needs at least 20 fitted real images"):
        run(service, model_id, real, synthetic)
    assert run(service, model_id, real, synthetic, target_fpr=0.1).figures.fitted_real == 15
    with pytest.raises(InvalidInput, match="does not exist"):
        run(service, model_id, tmp_path / "nowhere", synthetic)
    with pytest.raises(InvalidInput, match=r"between 0 and 0\.5"):
        run(service, model_id, real, synthetic, target_fpr=0.0)


def test_the_same_file_as_real_and_synthetic_is_refused(service: Service, tmp_path: Path) -> None:
    model_id = register_detector(service, "bright", "brightness")
    real, synthetic = toy_sets(tmp_path)
    (synthetic / "copy.png").write_bytes((real / "000.png").read_bytes())
    with pytest.raises(InvalidInput, match="both real and synthetic"):
        run(service, model_id, real, synthetic)


def test_an_unreadable_image_is_named(service: Service, tmp_path: Path) -> None:
    model_id = register_detector(service, "bright", "brightness")
    real, synthetic = toy_sets(tmp_path)
    (real / "broken.png").write_bytes(b"not a png at all")
    with pytest.raises(UnreadableImage, match=r"broken\.png"):
        run(service, model_id, real, synthetic)


def test_only_a_usable_detector_is_calibrated(service: Service, tmp_path: Path) -> None:
    real, synthetic = toy_sets(tmp_path)
    restorer = register_model(service.client, service.keys["admin"], manifest(unrelated_item(2)))
    assert restorer.status_code == 201
    with pytest.raises(NotADetector, match="is a restoration model"):
        run(service, restorer.json()["id"], real, synthetic)
    with pytest.raises(ModelNotFound):
        run(service, 999, real, synthetic)
    with pytest.raises(ModelNotFound):
        run(service, "no such detector", real, synthetic)
    model_id = register_detector(service, "bright", "brightness")
    service.client.post(
        f"/v1/models/{model_id}/retire",
        headers={"Authorization": f"Bearer {service.keys['admin']}"},
        json={"reason": "replaced"},
    )
    with pytest.raises(DetectorNotUsable, match="retired"):
        run(service, model_id, real, synthetic)
    with Session(service.app.state.services.engine) as session:
        assert session.exec(select(DetectorCalibration)).all() == []
