"""Which stages a call of each kind passes through, in order."""

from collections.abc import Callable
from dataclasses import dataclass

from governance.adapters.base import ModelKind
from governance.pipeline.stage import ModelStage, OutputStage, SealedStage, Stage
from governance.pipeline.stages.authenticate import Authenticate
from governance.pipeline.stages.clearance import ClearanceCheck
from governance.pipeline.stages.input_rights import InputRights
from governance.pipeline.stages.label import LabelOutput
from governance.pipeline.stages.model import RunModel
from governance.pipeline.stages.prompt_check import PromptCheck
from governance.pipeline.stages.screen import ScreenOutput
from governance.pipeline.stages.store import StoreOutput
from governance.settings import Settings


@dataclass(frozen=True)
class Plan:
    kind: ModelKind
    checks: tuple[Stage, ...]  # before the model
    model: ModelStage
    after_model: tuple[OutputStage, ...]  # see the output; before the seal
    sealed: tuple[SealedStage, ...]  # inside the seal, when the call keeps an output
    # Whether every output of this kind waits for a person, whatever the stages said.
    always_reviewed: Callable[[Settings], bool]


RESTORATION = Plan(
    kind=ModelKind.RESTORATION,
    checks=(Authenticate(), ClearanceCheck(), InputRights()),
    model=RunModel(),
    after_model=(ScreenOutput(),),
    sealed=(LabelOutput(), StoreOutput()),
    always_reviewed=lambda settings: settings.restorations_need_review,
)
GENERATION = Plan(
    kind=ModelKind.GENERATION,
    checks=(Authenticate(), ClearanceCheck(), PromptCheck()),
    model=RunModel(),
    after_model=(ScreenOutput(),),
    sealed=(LabelOutput(), StoreOutput()),
    always_reviewed=lambda settings: False,
)
