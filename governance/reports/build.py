"""Building a call's report from its stored files, outside any transaction.

The job reads the call's input, mask and output as stored, loads the model through the
service's loader (the weights must still be the registered ones), asks the runner for
its parts (`Explainable`), takes the once-per-weights randomisation check, and hands all
of it to `explain.report.explain_restoration`. No transaction is open while the model runs.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import rfc8785
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from governance.adapters.base import Explainable, ModelKind, Restorer
from governance.adapters.loader import AdapterSpec
from governance.aimodels.models import AiModel
from governance.calls.models import ModelCall
from governance.credentials.models import OutputLabel
from governance.db import read_only, unit_of_work
from governance.images import damaged_pixels, decode_image, rgb_pixels
from governance.reports.models import ExplainCheck
from governance.services import Services

if TYPE_CHECKING:
    from explain.parts import RestorerParts
    from explain.report import BuiltReport, ReportParams
    from explain.schemas import RandomisationCheck


class ReportInputError(Exception):
    """The call's stored record or files cannot make a report (said in words)."""


@dataclass(frozen=True)
class CallFiles:
    """A restoration as its report sees it: the record, the model, the pixels."""

    call: ModelCall
    model: AiModel
    image: np.ndarray  # uint8 H x W x 3, as the model was given it
    mask: np.ndarray  # bool H x W, True = damaged
    output: np.ndarray  # uint8 H x W x 3, the stored (labelled) output
    output_sha256: str  # of that file: the call's own, not a release signed later
    watermark_levels: int


@dataclass(frozen=True)
class Built:
    report: "BuiltReport"
    weights_sha256: str
    randomisation_sha256: str | None


def recorded_call(services: Services, call_id: int) -> tuple[ModelCall, AiModel, str | None]:
    """The call, its model, and the SHA-256 of its output as the call made it (the
    labelled output, not a later release), read in a session of their own."""
    with Session(read_only(services.engine)) as session:
        call = session.get(ModelCall, call_id)
        model = session.get(AiModel, call.model_id) if call is not None else None
        made = called_output(session, call_id)
    if call is None or model is None:
        raise ReportInputError(f"call {call_id} is not recorded")
    return call, model, made or call.output_sha256


def read_call(services: Services, call_id: int) -> CallFiles:
    call, model, output_sha256 = recorded_call(services, call_id)
    if not (call.input_sha256 and call.mask_sha256 and output_sha256):
        raise ReportInputError(f"call {call_id} keeps no input, mask and output to explain")
    files = []
    for sha256 in (call.input_sha256, call.mask_sha256, output_sha256):
        if not services.blobs.exists(sha256):
            raise ReportInputError(f"the stored file {sha256} of call {call_id} is missing")
        files.append(decode_image(services.blobs.get(sha256), services.settings).image)
    return CallFiles(
        call=call,
        model=model,
        image=rgb_pixels(files[0]),
        mask=damaged_pixels(files[1]),
        output=rgb_pixels(files[2]),
        output_sha256=output_sha256,
        watermark_levels=watermark_levels(call),
    )


def called_output(session: Session, call_id: int) -> str | None:
    """The SHA-256 of the output as the call made it: a release signs the same pixels
    again and the call then names the released file, but a report is of the call's own."""
    return session.exec(
        select(OutputLabel.output_sha256)
        .where(OutputLabel.call_id == call_id)
        .order_by(col(OutputLabel.id))
        .limit(1)
    ).first()


def watermark_levels(call: ModelCall) -> int:
    """The most grey levels the label's watermark changes a pixel by, as the call's own
    screen evidence states it (the screen stage's constant): the report says the same."""
    for stage in call.stages:
        marks = (stage.get("evidence") or {}).get("label_marks") or {}
        levels = marks.get("watermark_measured_max_change_grey_levels")
        if stage.get("name") == "screen" and isinstance(levels, int):
            return levels
    raise ReportInputError(
        f"call {call.id}'s screen evidence does not state the watermark's grey levels"
    )


def build_report(
    services: Services, files: CallFiles, params: "ReportParams | None" = None
) -> Built:
    # Deferred: torch and captum take seconds to import, and only report workers need them.
    from explain.report import ReportContext, ReportParams, explain_restoration

    chosen = params if params is not None else ReportParams()
    model, call = files.model, files.call
    scheme, _, target = model.adapter.partition(":")
    loaded = services.model_loader.load(AdapterSpec(scheme, target), ModelKind.RESTORATION)
    if loaded.weights_sha256 != model.weights_sha256:
        raise ReportInputError(
            f"the weights on disk hash to {loaded.weights_sha256}, not to the registered "
            f"{model.weights_sha256}: the report would explain another model"
        )
    runner: Restorer = loaded.runner  # type: ignore[assignment]
    parts = runner.explainable() if isinstance(runner, Explainable) else None
    check, check_sha256 = randomisation(services, model, parts, chosen)
    assert call.id is not None and call.input_sha256 and call.mask_sha256
    context = ReportContext(
        call_id=call.id,
        model_name=model.name,
        model_version=model.version,
        weights_sha256=model.weights_sha256,
        input_sha256=call.input_sha256,
        mask_sha256=call.mask_sha256,
        output_sha256=files.output_sha256,
        watermark_levels=files.watermark_levels,
        randomisation=check,
        randomisation_sha256=check_sha256,
    )

    def restore(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return runner.restore(image, mask)

    report = explain_restoration(
        files.image, files.mask, files.output, parts, restore, context, chosen
    )
    return Built(report, model.weights_sha256, check_sha256)


def randomisation(
    services: Services, model: AiModel, parts: "RestorerParts | None", params: "ReportParams"
) -> tuple["RandomisationCheck | None", str | None]:
    """The weights' randomisation check: the stored one, else run now and stored (the
    first stored wins, so every report with these weights cites the same check)."""
    if parts is None:
        return None, None
    from explain.canonical import json_bytes
    from explain.randomisation import randomisation_check
    from explain.schemas import RandomisationCheck

    stored = _stored_check(services, model.weights_sha256)
    if stored is None:
        # Rounded as the report writes it, so the stored check, the one a report embeds
        # and the one its SHA-256 covers are the same numbers.
        result = json.loads(json_bytes(randomisation_check(parts, params)))
        try:
            stored = _store_check(services, model, result)
        except IntegrityError:  # another worker stored its check first: that one counts
            stored = _stored_check(services, model.weights_sha256)
        assert stored is not None
    return RandomisationCheck.model_validate(stored.result), stored.result_sha256


def _store_check(services: Services, model: AiModel, result: dict[str, Any]) -> ExplainCheck:
    with unit_of_work(services.engine) as session:
        stored = _check_row(session, model.weights_sha256)
        if stored is None:
            assert model.id is not None
            stored = ExplainCheck(
                weights_sha256=model.weights_sha256,
                model_id=model.id,
                result=result,
                result_sha256=check_sha256(result),
            )
            session.add(stored)
            session.flush()
        session.expunge(stored)
    return stored


def check_sha256(result: dict[str, Any]) -> str:
    return hashlib.sha256(rfc8785.dumps(result)).hexdigest()


def _stored_check(services: Services, weights_sha256: str) -> ExplainCheck | None:
    with Session(read_only(services.engine)) as session:
        return _check_row(session, weights_sha256)


def _check_row(session: Session, weights_sha256: str) -> ExplainCheck | None:
    query = select(ExplainCheck).where(ExplainCheck.weights_sha256 == weights_sha256)
    return session.exec(query).first()
