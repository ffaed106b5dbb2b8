"""Restoration models from a local transformers directory (image-to-image, e.g. Swin2SR).

Nothing is ever fetched: every load is `local_files_only=True`, and `trust_remote_code`
stays off so a model directory cannot run Python of its own.
"""

from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoModelForImageToImage, PretrainedConfig, PreTrainedModel
from transformers.models.auto.modeling_auto import (
    MODEL_FOR_IMAGE_TO_IMAGE_MAPPING,
    MODEL_FOR_IMAGE_TO_IMAGE_MAPPING_NAMES,
)

from governance.adapters.base import LoadedModel, ModelKind
from governance.adapters.hf_files import (
    directory_digest,
    load_weights,
    read_config,
    read_processor,
)
from governance.model_errors import ModelRunError, check_deadline


def load_transformers_restorer(directory: Path) -> LoadedModel:
    """Load the image-to-image model in `directory` as a Restorer.

    Raises ModelRunError when the directory is missing, holds no usable config, names a
    model that is not image-to-image, or its weights do not load cleanly.
    """
    digest = directory_digest(directory)
    config = _image_to_image_config(directory)
    model = load_weights(directory, config, AutoModelForImageToImage)
    processor = read_processor(directory)
    return LoadedModel(
        kind=ModelKind.RESTORATION,
        weights_sha256=digest,
        runner=TransformersRestorer(model, processor),
    )


def _image_to_image_config(directory: Path) -> PretrainedConfig:
    config = read_config(directory)
    if type(config) not in MODEL_FOR_IMAGE_TO_IMAGE_MAPPING:
        supported = ", ".join(sorted(MODEL_FOR_IMAGE_TO_IMAGE_MAPPING_NAMES))
        raise ModelRunError(
            f"the model in {directory} is a {config.model_type!r} model, not an "
            f"image-to-image architecture (supported: {supported})"
        )
    return config


class TransformersRestorer:
    """Runs an image-to-image model over the damaged pixels; the rest is left untouched."""

    def __init__(self, model: PreTrainedModel, processor: Any | None = None) -> None:
        self._model = model
        self._processor = processor
        config = model.config
        self._upscale = max(1, int(getattr(config, "upscale", 1) or 1))
        self._window = max(1, int(getattr(config, "window_size", 1) or 1))

    def restore(
        self, image: np.ndarray, mask: np.ndarray, deadline: float | None = None
    ) -> np.ndarray:
        _check_inputs(image, mask)
        height, width = mask.shape
        # Damaged pixels carry no information the model should copy back out.
        filled = np.where(mask[..., None], np.uint8(0), image)
        try:
            pixels = self._to_tensor(filled)
            check_deadline(deadline)
            with torch.inference_mode():
                output = self._model(pixel_values=pixels)
            check_deadline(deadline)
            restored = self._to_image(output, height, width)
        except ModelRunError:
            raise
        except Exception as exc:
            raise ModelRunError(f"the model raised {type(exc).__name__}: {exc}") from exc
        # Only the masked pixels are kept: the model ran at its own resolution and was
        # resized back, so outside the mask the difference is this adapter's resampling,
        # not the model's choice (python: restorers keep their whole answer).
        return np.where(mask[..., None], restored, image)

    def _to_tensor(self, filled: np.ndarray) -> torch.Tensor:
        if self._processor is not None:
            batch = self._processor(images=filled, return_tensors="pt")
            pixels = torch.as_tensor(batch["pixel_values"], dtype=torch.float32)
        else:
            pixels = torch.from_numpy(filled).permute(2, 0, 1)[None].to(torch.float32) / 255.0
        # Swin2SR's own reflect padding breaks on sizes that are not a window multiple in
        # transformers 5.x (it unembeds at the unpadded size) and on images smaller than
        # the pad; edge replication to the multiple avoids both. Padding goes right and
        # bottom only, so the top-left crop in _to_image recovers the picture.
        pad_h = -pixels.shape[2] % self._window
        pad_w = -pixels.shape[3] % self._window
        if pad_h or pad_w:
            pixels = torch.nn.functional.pad(pixels, (0, pad_w, 0, pad_h), mode="replicate")
        return pixels

    def _to_image(self, output: Any, height: int, width: int) -> np.ndarray:
        result = getattr(output, "reconstruction", None)
        if not isinstance(result, torch.Tensor) or result.ndim != 4 or result.shape[1] != 3:
            raise ModelRunError("the model returned no 3-channel reconstruction")
        # Anything beyond the scaled picture is padding, ours or the processor's.
        result = result[:, :, : height * self._upscale, : width * self._upscale]
        if result.shape[2:] != (height, width):
            result = torch.nn.functional.interpolate(
                result, size=(height, width), mode="bicubic", antialias=True, align_corners=False
            )
        result = result[0].clamp(0.0, 1.0).mul(255.0).round().to(torch.uint8)
        array: np.ndarray = result.permute(1, 2, 0).contiguous().numpy()
        return array


def _check_inputs(image: np.ndarray, mask: np.ndarray) -> None:
    # Caller mistakes, not model failures, hence ValueError rather than ModelRunError.
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3 or not image.size:
        raise ValueError("the image must be a non-empty uint8 height x width x 3 array")
    if mask.dtype != np.bool_ or mask.shape != image.shape[:2]:
        raise ValueError("the mask must be a bool array of the image's height x width")
