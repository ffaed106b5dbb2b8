"""Tiny randomly initialised transformers checkpoints, written to a local directory.

The adapter tests need real checkpoints on disk without downloading anything; these
build in well under a second and load through the same code paths as a full model.
"""

from pathlib import Path

import torch
from transformers import (
    BertConfig,
    BertModel,
    Swin2SRConfig,
    Swin2SRForImageSuperResolution,
    Swin2SRImageProcessorPil,
)


def save_tiny_swin2sr(
    directory: Path, seed: int = 0, *, upscale: int = 1, image_processor: bool = False
) -> Path:
    """A Swin2SR with one 1-head stage of width 8, saved with `save_pretrained`.

    With upscale 1 the "no upsampler" head (a residual convolution, Swin2SR's denoising
    setup) keeps the size; upscale > 1 uses the lightest pixel-shuffle head.
    `image_processor` also saves a preprocessor config (rescale and pad to 4).
    """
    config = Swin2SRConfig(
        image_size=16,
        embed_dim=8,
        depths=[1],
        num_heads=[1],
        window_size=4,
        mlp_ratio=1.0,
        drop_path_rate=0.0,
        upscale=upscale,
        upsampler="" if upscale == 1 else "pixelshuffledirect",
    )
    torch.manual_seed(seed)
    model = Swin2SRForImageSuperResolution(config)
    model.save_pretrained(directory)
    if image_processor:
        Swin2SRImageProcessorPil(size_divisor=4).save_pretrained(directory)
    return directory


def save_tiny_bert(directory: Path) -> Path:
    """A text model, for checking that non image-to-image checkpoints are refused."""
    config = BertConfig(
        vocab_size=32,
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=1,
        intermediate_size=8,
        max_position_embeddings=16,
    )
    torch.manual_seed(0)
    BertModel(config).save_pretrained(directory)
    return directory
