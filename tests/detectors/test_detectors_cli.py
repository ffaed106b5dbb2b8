"""`govern detectors calibrate`, run as an operator would."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from governance.cli.main import app
from governance.settings import get_settings
from tests.detectors.helpers import register_detector, toy_sets, write_set
from tests.support.model_helpers import manifest, register_model, unrelated_item
from tests.support.service_fixture import Service, make_service

runner = CliRunner()


@pytest.fixture
def deployment(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Service]:
    """A service and the command line on the same database and data folder."""
    service = make_service(database_url, tmp_path / "data")
    monkeypatch.setenv("GOVERN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GOVERN_DATABASE_URL", database_url)
    monkeypatch.setenv("GOVERN_REGISTER_BUILTIN_MODELS", "false")
    get_settings.cache_clear()
    yield service
    get_settings.cache_clear()
    service.app.state.services.engine.dispose()


def calibrate(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["detectors", "calibrate", *args])
    return result.exit_code, result.output


def test_calibrate_reports_the_figures_and_the_model_shows_them(
    deployment: Service, tmp_path: Path
) -> None:
    model_id = register_detector(deployment, "bright", "brightness")
    real, synthetic = toy_sets(tmp_path / "sets")
    code, output = calibrate(
        "bright", "--real", str(real), "--synthetic", str(synthetic), "--method", "isotonic"
    )
    assert code == 0, output
    assert f"of model {model_id} ('bright' version '1'), isotonic" in output
    assert "fitted on 20 real and 20 synthetic images" in output
    assert "held-out AUC 0." in output and "at 0.05 false positives" in output
    shown = deployment.client.get(
        f"/v1/models/{model_id}",
        headers={"Authorization": f"Bearer {deployment.keys['auditor']}"},
    ).json()
    assert shown["calibration"]["method"] == "isotonic"
    assert f"held-out AUC {shown['calibration']['figures']['auc']:.3f}" in output


def test_calibrate_errors_are_a_sentence_and_exit_2(deployment: Service, tmp_path: Path) -> None:
    register_detector(deployment, "bright", "brightness")
    restorer = register_model(
        deployment.client, deployment.keys["admin"], manifest(unrelated_item(3))
    ).json()["id"]
    real, synthetic = toy_sets(tmp_path / "sets")
    empty = tmp_path / "empty"
    empty.mkdir()
    few = tmp_path / "few"
    write_set(few, [0.7] * 4, seed=3)
    cases = [
        (["nobody", "--real", str(real), "--synthetic", str(synthetic)], "ModelNotFound"),
        ([str(restorer), "--real", str(real), "--synthetic", str(synthetic)], "NotADetector"),
        (["bright", "--real", str(empty), "--synthetic", str(synthetic)], "TooFewImages"),
        (["bright", "--real", str(real), "--synthetic", str(few)], "TooFewImages"),
        (["bright", "--real", str(tmp_path / "no"), "--synthetic", str(few)], "InvalidInput"),
        (["bright", "--real", str(real), "--synthetic", str(synthetic), "--fpr", "0.7"], "0.5"),
    ]
    for args, expected in cases:
        code, output = calibrate(*args)
        assert code == 2, (args, output)
        assert expected in output, (args, output)
    code, output = calibrate(
        "bright", "--real", str(real), "--synthetic", str(synthetic), "--method", "magic"
    )
    assert code == 2 and "magic" in output
