"""Detectors whose score is a known function of the pixels, so that what the service
makes of their scores can be checked by hand."""

import numpy as np


def brightness(image: np.ndarray) -> float:
    """Mean brightness, 0-1: the toy's 'synthetic' images are the brighter ones."""
    return float(image.mean()) / 255.0


def redness(image: np.ndarray) -> float:
    """The red channel's share of the brightness."""
    total = float(image.astype(np.float64).sum())
    return float(image[:, :, 0].astype(np.float64).sum()) / total if total else 0.0


def broken(image: np.ndarray) -> float:
    raise RuntimeError("this detector always fails")


def out_of_range(image: np.ndarray) -> float:
    return 1.5
