"""The one small protocol every model adapter meets, whatever loads the model.

Images cross it as numpy arrays: uint8 height x width x 3 (RGB), masks as bool
height x width (True where the image is damaged and must be filled). `deadline` is a
`time.monotonic()` instant after which a cooperative model raises ModelTimeout.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:  # torch comes with it: imported only where a model is explained
    from explain.parts import RestorerParts


class ModelKind(StrEnum):
    RESTORATION = "restoration"
    GENERATION = "generation"
    DETECTOR = "detector"


class Restorer(Protocol):
    def restore(
        self, image: np.ndarray, mask: np.ndarray, deadline: float | None = None
    ) -> np.ndarray: ...


@runtime_checkable
class Explainable(Protocol):
    """A restorer that shows its report its network (and its parameter-free part, if it
    has one); None when it cannot, and the report treats it as a black box."""

    def explainable(self) -> "RestorerParts | None": ...


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
