"""Deterministic bytes for the report: the same report always hashes the same."""

import hashlib
import io
import json
from typing import Any

import numpy as np
from PIL import Image
from pydantic import BaseModel

# Significant digits kept for every float written into the JSON.
DIGITS = 6


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def rounded(value: Any) -> Any:
    """Floats rounded to DIGITS significant digits, recursively; -0.0 written as 0.0."""
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("the report holds only finite numbers")
        return float(f"{value:.{DIGITS}g}") + 0.0
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v) for v in value]
    return value


def json_bytes(model: BaseModel) -> bytes:
    data = rounded(model.model_dump(mode="json", by_alias=True))
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def png_bytes(array: np.ndarray) -> bytes:
    """PNG without timestamps or other metadata, so the bytes depend on the pixels only."""
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()
