"""A generation's report: the registered works and the model's training items nearest to
its output, with their similarity and the terms in force, outside any transaction.

No model runs: the report reads the call's stored output and the registry. What it was
made against (the moment the registry was read, the newest work id) is stated in it, so
`govern reports verify` rebuilds against the same (generation_verify.py).
"""

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from PIL import Image
from sqlalchemy import func
from sqlmodel import Session, col, select

from explain.canonical import json_bytes
from governance.aimodels.models import AiModel
from governance.calls.models import ModelCall
from governance.db import read_only
from governance.images import decode_image, rgb_pixels
from governance.reports.build import ReportInputError, recorded_call, watermark_levels
from governance.reports.generation_page import render_generation_page
from governance.reports.generation_parts import (
    PAGE_MEDIA_TYPE,
    at_call,
    item_out,
    thresholds,
    work_out,
)
from governance.reports.generation_schema import (
    SCHEMA,
    Asked,
    Basis,
    GenerationReport,
    ModelFacts,
    NearItems,
    NearWorks,
    OutputFacts,
)
from governance.reports.generation_words import (
    IDENTITY,
    LIMITS,
    SALIENCY,
    SIMILARITY,
    VERIFICATION,
    items_summary,
    works_summary,
)
from governance.reports.in_force import works_as_of
from governance.reports.nearest import NEAREST_WORKS, nearest_works
from governance.reports.nearest_items import NEAREST_ITEMS, model_item_count, nearest_items
from governance.services import Services
from rights.fingerprints import fingerprint
from rights.models import Work, utcnow


@dataclass(frozen=True)
class GenerationCall:
    call: ModelCall
    model: AiModel
    output: np.ndarray  # uint8 H x W x 3, the stored (labelled) output
    output_sha256: str


@dataclass(frozen=True)
class GenerationDocument:
    report: GenerationReport
    json_bytes: bytes
    files: dict[str, tuple[str, bytes]]


@dataclass(frozen=True)
class BuiltGeneration:
    """Shaped as build.Built is, for the job: the report, its weights, no check cited."""

    report: GenerationDocument
    weights_sha256: str
    randomisation_sha256: None = None


def read_generation(services: Services, call_id: int) -> GenerationCall:
    call, model, output_sha256 = recorded_call(services, call_id)
    if output_sha256 is None:
        raise ReportInputError(f"call {call_id} keeps no output to report on")
    if not services.blobs.exists(output_sha256):
        raise ReportInputError(f"the stored file {output_sha256} of call {call_id} is missing")
    image = decode_image(services.blobs.get(output_sha256), services.settings).image
    return GenerationCall(call, model, rgb_pixels(image), output_sha256)


def basis_now(session: Session, model_id: int) -> Basis:
    # The moment first, then the newest id: a work committed in between is in both.
    as_of = utcnow()
    return basis_at(session, model_id, as_of, _newest_work(session))


def basis_at(session: Session, model_id: int, as_of: datetime, max_work_id: int) -> Basis:
    count = select(func.count()).select_from(Work).where(col(Work.id) <= max_work_id)
    return Basis(
        as_of=as_of,
        max_work_id=max_work_id,
        works_registered=int(session.exec(count).one()),
        model_items=model_item_count(session, model_id),
    )


def _newest_work(session: Session) -> int:
    return int(session.exec(select(func.max(Work.id))).one() or 0)


def build_generation(
    services: Services, given: GenerationCall, stored: GenerationReport | None = None
) -> BuiltGeneration:
    """The report, against the registry now, or a rebuild of `stored` against its basis."""
    call, model = given.call, given.model
    assert call.id is not None and model.id is not None
    image = Image.fromarray(given.output)
    prints = fingerprint(image)
    screened = at_call(call)
    with Session(read_only(services.engine)) as session:
        basis = (
            basis_now(session, model.id)
            if stored is None
            else basis_at(session, model.id, stored.basis.as_of, stored.basis.max_work_id)
        )
        works = nearest_works(
            session,
            services,
            image,
            prints,
            basis.max_work_id,
            screened=set(screened),
            also={w.work_id for w in stored.works.listed} if stored is not None else set(),
        )
        items = nearest_items(session, model.id, prints, basis.max_work_id)
        linked = {link.work_id for found in items.found for link in found.links}
        wanted = {m.work_id for m in works.ranked} | linked
        as_of = works_as_of(session, wanted, basis.as_of)
    listed = [m for m in works.ranked if m.work_id in as_of][:NEAREST_WORKS]
    settings = services.settings
    height, width = given.output.shape[:2]
    report = GenerationReport(
        schema_=SCHEMA,
        call_id=call.id,
        model=ModelFacts(
            model_id=model.id,
            name=model.name,
            version=model.version,
            weights_sha256=model.weights_sha256,
        ),
        output=OutputFacts(
            sha256=given.output_sha256,
            width=int(width),
            height=int(height),
            flat=prints.flat,
            analysed=(
                "the output file the call stored, as served: after the label stage, whose "
                f"watermark changes a pixel by at most {watermark_levels(call)} grey levels "
                "(and a visible label where one was asked); the call's own screen judged "
                "the model's pixels before labelling"
            ),
        ),
        asked=_asked(call),
        basis=basis,
        thresholds=thresholds(settings),
        similarity=SIMILARITY,
        works=NearWorks(
            k=NEAREST_WORKS,
            measured=works.measured,
            listed=[
                work_out(rank, m, as_of[m.work_id], screened.get(m.work_id))
                for rank, m in enumerate(listed, 1)
            ],
            summary=works_summary(listed, basis, prints.flat),
            identity=IDENTITY,
        ),
        training_items=NearItems(
            k=NEAREST_ITEMS,
            compared=items.compared,
            listed=[
                item_out(rank, found, as_of, settings.match_phash_max)
                for rank, found in enumerate(items.found, 1)
            ],
            summary=items_summary(items, settings.match_phash_max, prints.flat),
        ),
        saliency=SALIENCY,
        verification=VERIFICATION,
        limits=LIMITS,
    )
    files = {"report.html": (PAGE_MEDIA_TYPE, render_generation_page(report))}
    document = GenerationDocument(report, json_bytes(report), files)
    return BuiltGeneration(document, model.weights_sha256)


def _asked(call: ModelCall) -> Asked:
    request = call.request

    def number(key: str) -> int | None:
        value = request.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    prompt = request.get("prompt")
    return Asked(
        prompt=prompt if isinstance(prompt, str) else "",
        seed=number("seed"),
        width=number("width"),
        height=number("height"),
    )
