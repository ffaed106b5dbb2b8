"""The one small protocol every model adapter meets, whatever loads the model.

Images cross it as numpy arrays: uint8 height x width x 3 (RGB), masks as bool
height x width (True where the image is damaged and must be filled). `deadline` is a
`time.monotonic()` instant after which a cooperative model raises ModelTimeout.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import numpy as np


class ModelKind(StrEnum):
    RESTORATION = "restoration"
    GENERATION = "generation"
    DETECTOR = "detector"


class Restorer(Protocol):
    def restore(
        self, image: np.ndarray, mask: np.ndarray, deadline: float | None = None
    ) -> np.ndarray: ...


class Generator(Protocol):
    def generate(
        self, prompt: str, seed: int, width: int, height: int, deadline: float | None = None
    ) -> np.ndarray: ...


class Detector(Protocol):
    def score(self, image: np.ndarray, deadline: float | None = None) -> float: ...


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to run, with the SHA-256 of the weights it was loaded from."""

    kind: ModelKind
    weights_sha256: str
    runner: Restorer | Generator | Detector
