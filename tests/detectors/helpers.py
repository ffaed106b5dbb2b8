"""Registering toy detectors and writing calibration sets of known brightness."""

import zlib
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from tests.support.model_helpers import manifest, register_model, unrelated_item
from tests.support.service_fixture import Service

TOYS = "python:tests.detectors.toy_detectors"


def register_detector(service: Service, name: str, function: str, **extra: Any) -> int:
    response = register_model(
        service.client,
        service.keys["admin"],
        manifest(unrelated_item(zlib.crc32(name.encode()))),
        name=name,
        kind="detector",
        adapter=f"{TOYS}:{function}",
        **extra,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def grey_image(level: float, seed: int, size: int = 24) -> np.ndarray:
    """A noisy grey image whose mean brightness is `level` (0-1), up to rounding."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(-20, 21, (size, size, 1))
    noise -= round(noise.mean())
    grey = np.clip(round(level * 255) + noise, 0, 255).astype(np.uint8)
    return np.repeat(grey, 3, axis=2)


def write_set(directory: Path, means: list[float], seed: int) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, level in enumerate(means):
        path = directory / f"{i:03d}.png"
        Image.fromarray(grey_image(level, seed * 1000 + i)).save(path)
        paths.append(path)
    return paths


def toy_sets(root: Path, real: int = 40, synthetic: int = 40, seed: int = 0) -> tuple[Path, Path]:
    """Real images darker than synthetic ones on average, overlapping: brightness is a
    detector with an AUC near 0.92 on them (means 0.4 and 0.6, spread 0.1)."""
    rng = np.random.default_rng(seed)
    real_means = np.clip(rng.normal(0.4, 0.1, real), 0.1, 0.9).tolist()
    synthetic_means = np.clip(rng.normal(0.6, 0.1, synthetic), 0.1, 0.9).tolist()
    write_set(root / "real", real_means, seed * 2 + 1)
    write_set(root / "synthetic", synthetic_means, seed * 2 + 2)
    return root / "real", root / "synthetic"


def calibrated_toy_detector(service: Service) -> int:
    """A toy detector, registered and calibrated through the service functions (one
    detector.calibrated audit entry); its image sets beside the service's data folder."""
    from governance.db import request_session
    from governance.detectors.calibrate import calibrate_detector

    model_id = register_detector(service, "toy brightness", "brightness")
    real, synthetic = toy_sets(service.settings.data_dir.parent / "calibration-sets")
    services = service.app.state.services
    with request_session(services.engine) as session:
        calibrate_detector(session, services, model_id, real, synthetic, "tester")
    return model_id
