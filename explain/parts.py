"""What a restorer shows the report: its network, and the parameter-free part if it has one.

The input convention is the built-in restorer's: B x 4 x H x W, RGB in [0, 1] with the
damaged pixels zeroed, then the mask (1 where damaged); the output B x 3 x H x W, RGB in
[0, 1] before clamping. A model that first fills the holes by a fixed rule (a harmonic
membrane, say) and then corrects that fill with learned weights exposes both, because
their attributions differ: the whole output's map is mostly the fixed rule's stencil,
and only the correction's map says what the weights learned.
"""

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

Forward = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class RestorerParts:
    # Whose parameters the randomisation check resets, layer by layer from the output.
    network: nn.Module
    # The model's output, before clamping.
    whole: Forward
    # The parameter-free part of the output (same shape), or None when the model has none:
    # its learned correction is then `whole - fixed`.
    fixed: Forward | None
    # H and W are padded (by reflection) to a multiple of this before `whole` runs.
    multiple: int
    # In words, for the report: what `fixed` is, or why there is none.
    description: str
