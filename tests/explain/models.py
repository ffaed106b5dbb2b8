"""Tiny models for the report's tests, built from configs with seeded weights."""

import copy

import numpy as np
import torch
from torch import nn

from explain.geometry import regions, seeded_cracks
from explain.parts import RestorerParts
from explain.randomisation import check_image
from explain.report import ReportContext, ReportParams
from explain.schemas import RandomisationCheck
from explain.targets import Targets, build_targets, to_tensor
from governance.builtin.inpainting import BuiltinInpainter, InpaintNet

SIZE = 64
PARAMS = ReportParams(check_size=SIZE, uncertainty_runs=3)


class LinearFill(nn.Module):
    """out = a positive 7 x 7 filter of the image: its maps are exactly its kernel, so
    every faithful method has a right answer, and resetting the kernel changes it."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.conv = nn.Conv2d(4, 3, 7, padding=3, bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.rand(self.conv.weight.shape, generator=generator) ** 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.conv(x) / 10.0
        return out


def linear_parts(seed: int = 0) -> RestorerParts:
    net = LinearFill(seed).eval()
    return RestorerParts(net, net, None, 1, "A learned linear filter; no parameter-free part.")


def lying_parts(seed: int = 0) -> RestorerParts:
    """A deliberately broken explainer: the output comes from a frozen copy, the gradients
    from a decoy filter that reads pixels 20 rows away from those the model reads."""
    net = LinearFill(seed).eval()
    frozen = copy.deepcopy(net)
    decoy = LinearFill(seed + 1).eval()

    def whole(x: torch.Tensor) -> torch.Tensor:
        fake = decoy(torch.roll(x, shifts=20, dims=2))
        out: torch.Tensor = frozen(x).detach() + fake - fake.detach()
        return out

    return RestorerParts(net, whole, None, 1, "A model whose gradients come from a decoy.")


def case(seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    return check_image(SIZE), seeded_cracks(SIZE, seed, 0.06)


def context(check: RandomisationCheck | None, watermark: int = 1) -> ReportContext:
    from explain.canonical import json_bytes, sha256

    return ReportContext(
        call_id=7,
        model_name="tiny",
        model_version="1",
        weights_sha256="0" * 64,
        input_sha256="1" * 64,
        mask_sha256="2" * 64,
        output_sha256="3" * 64,
        watermark_levels=watermark,
        randomisation=check,
        randomisation_sha256=sha256(json_bytes(check)) if check is not None else None,
    )


def run(parts: RestorerParts, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The restorer as a black box: the model's output on the mask, the input elsewhere."""
    with torch.no_grad():
        rgb = torch.from_numpy(image).permute(2, 0, 1).float().div(255.0)[None]
        m = torch.from_numpy(mask.astype(np.float32))[None, None]
        y = parts.whole(torch.cat([rgb * (1 - m), m], dim=1))[0]
    out = y.clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).numpy()
    return np.where(mask[..., None], out, image)


def builtin_targets() -> tuple[Targets, torch.Tensor, np.ndarray]:
    """A small built-in restorer (its harmonic fill and a seeded U-Net with a non-zero
    head) on case(): its targets, the image, a seeded random order of the known pixels."""
    torch.manual_seed(0)
    net = InpaintNet(width=4, levels=2)
    with torch.no_grad():
        for p in net.head.parameters():
            p.normal_(0.0, 0.1)
    image, mask = case()
    parts = BuiltinInpainter(net).explainable()
    ranked = np.random.default_rng(0).permutation(np.flatnonzero(~mask))
    return build_targets(parts, regions(mask).labels, []), to_tensor(image), ranked
