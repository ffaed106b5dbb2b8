"""Tiny randomly initialised image classifiers, saved as a deployment would save its own
detector: config, weights and image processor in one local directory."""

from pathlib import Path

import numpy as np
import torch
from transformers import (
    AutoImageProcessor,
    AutoModelForImageClassification,
    ConvNextConfig,
    ConvNextForImageClassification,
    ConvNextImageProcessorPil,
    ViTConfig,
    ViTForImageClassification,
    ViTImageProcessorPil,
)

LABELS = {0: "real", 1: "fake"}


def save_tiny_vit(directory: Path, labels: dict[int, str] | None = None, *, seed: int = 0) -> Path:
    """A one-layer ViT of width 8 on 16 px images, two patches a side."""
    names = labels or LABELS
    config = ViTConfig(
        image_size=16,
        patch_size=8,
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=1,
        intermediate_size=8,
        id2label=names,
        label2id={v: k for k, v in names.items()},
    )
    torch.manual_seed(seed)
    ViTForImageClassification(config).save_pretrained(directory)
    ViTImageProcessorPil(size={"height": 16, "width": 16}).save_pretrained(directory)
    return directory


def save_tiny_convnext(directory: Path, labels: dict[int, str] | None = None) -> Path:
    """A one-stage ConvNeXt of width 8."""
    names = labels or {0: "Human-made", 1: "AI-generated"}
    config = ConvNextConfig(
        num_channels=3,
        patch_size=4,
        num_stages=1,
        hidden_sizes=[8],
        depths=[1],
        id2label=names,
        label2id={v: k for k, v in names.items()},
    )
    torch.manual_seed(1)
    ConvNextForImageClassification(config).save_pretrained(directory)
    ConvNextImageProcessorPil(size={"shortest_edge": 32}, crop_pct=1.0).save_pretrained(directory)
    return directory


def softmax_by_hand(directory: Path, image: np.ndarray, index: int) -> float:
    """The class's softmax probability, from the saved processor and model directly."""
    processor = AutoImageProcessor.from_pretrained(directory, local_files_only=True)  # type: ignore[no-untyped-call]
    model = AutoModelForImageClassification.from_pretrained(directory, local_files_only=True)
    with torch.inference_mode():
        logits = model(**processor(images=image, return_tensors="pt")).logits[0]
    return float(torch.softmax(logits.double(), 0)[index])
