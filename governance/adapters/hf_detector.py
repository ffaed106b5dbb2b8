"""AI-made-image detectors from a local transformers directory (image classification).

The model is any `AutoModelForImageClassification` checkpoint (ViT, ConvNeXt, ...) whose
labels name exactly one synthetic class; the score is that class's softmax probability.
As for restorers, nothing is ever fetched (`local_files_only=True`) and no code from the
directory runs (`trust_remote_code=False`).
"""

import re
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoModelForImageClassification, PretrainedConfig, PreTrainedModel
from transformers.models.auto.modeling_auto import (
    MODEL_FOR_IMAGE_CLASSIFICATION_MAPPING,
)

from governance.adapters.base import LoadedModel, ModelKind
from governance.adapters.hf_files import (
    PREPROCESSOR_FILE,
    directory_digest,
    load_weights,
    read_config,
    read_processor,
)
from governance.model_errors import ModelRunError, check_deadline

# Words that name the synthetic class, matched whole (case-insensitive) inside a label,
# so "AI-generated", "Fake" and "synthetic_image" are found and "Realistic" is not.
SYNTHETIC_WORDS = ("fake", "deepfake", "synthetic", "ai", "artificial", "generated")
_WORD = re.compile(r"[a-z]+")


def synthetic_label(id2label: dict[int, str] | dict[str, str]) -> int:
    """The index of the one class whose label names a synthetic image.

    Raises ModelRunError when no label does or when several do: a detector whose
    synthetic class is ambiguous would give a score of unknown meaning.
    """
    found = [
        int(index)
        for index, label in id2label.items()
        if set(_WORD.findall(str(label).lower())) & set(SYNTHETIC_WORDS)
    ]
    labels = ", ".join(f"{i}: {label!r}" for i, label in sorted(id2label.items(), key=_order))
    if not found:
        raise ModelRunError(
            f"no class label names synthetic images (labels {labels}); a detector needs one "
            f"label containing one of: {', '.join(SYNTHETIC_WORDS)}"
        )
    if len(found) > 1:
        raise ModelRunError(
            f"several class labels name synthetic images (labels {labels}); a detector needs "
            "exactly one"
        )
    return found[0]


def _order(item: tuple[int | str, str]) -> int:
    return int(item[0])


def load_transformers_detector(directory: Path) -> LoadedModel:
    """Load the image-classification model in `directory` as a Detector.

    Raises ModelRunError when the directory is missing, holds no config or no weights,
    is not an image classifier, or names no single synthetic class.
    """
    digest = directory_digest(directory)
    config = _classifier_config(directory)
    index = synthetic_label(dict(config.id2label or {}))
    model = load_weights(directory, config, AutoModelForImageClassification)
    processor = _load_processor(directory)
    return LoadedModel(
        kind=ModelKind.DETECTOR,
        weights_sha256=digest,
        runner=TransformersDetector(model, processor, index),
    )


def _classifier_config(directory: Path) -> PretrainedConfig:
    config = read_config(directory)
    if type(config) not in MODEL_FOR_IMAGE_CLASSIFICATION_MAPPING:
        raise ModelRunError(
            f"the model in {directory} is a {config.model_type!r} model, not an image "
            "classification architecture"
        )
    return config


def _load_processor(directory: Path) -> Any:
    processor = read_processor(directory)
    if processor is None:
        raise ModelRunError(
            f"the model directory {directory} has no {PREPROCESSOR_FILE}: a classifier's "
            "score depends on the resizing and normalisation it was trained with"
        )
    return processor


class TransformersDetector:
    """P(synthetic) from an image classifier: the softmax of its synthetic class."""

    def __init__(self, model: PreTrainedModel, processor: Any, synthetic_index: int) -> None:
        self._model = model
        self._processor = processor
        self.synthetic_index = synthetic_index

    def score(self, image: np.ndarray, deadline: float | None = None) -> float:
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3 or not image.size:
            raise ValueError("the image must be a non-empty uint8 height x width x 3 array")
        check_deadline(deadline)
        try:
            batch = self._processor(images=image, return_tensors="pt")
            pixels = torch.as_tensor(batch["pixel_values"], dtype=torch.float32)
            with torch.inference_mode():
                logits = self._model(pixel_values=pixels).logits
        except Exception as exc:
            raise ModelRunError(f"the model raised {type(exc).__name__}: {exc}") from exc
        check_deadline(deadline)
        if not isinstance(logits, torch.Tensor) or logits.ndim != 2 or logits.shape[0] != 1:
            raise ModelRunError("the model returned no class scores")
        probabilities = torch.softmax(logits[0].to(torch.float64), dim=0)
        return float(probabilities[self.synthetic_index])
