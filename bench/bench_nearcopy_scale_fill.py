"""Fill a registry in bulk for the near-copy scale bench (and the screen's): `fill_registry`.

What goes in, for `works` works in all:

- real works, registered as the service would keep them (fingerprints, near-copy record
  and postings, reduced copy in the blob store), from scikit-image's photographs: the
  held-out split's works (bench/bench_nearcopy_cases.py: whole photographs, crops and left
  parts; the scale bench's copies are of these) and REAL_CROPS random crops (40-90% a
  side) of the tuning split's photographs;
- fillers for the rest: a work row, four random 64-bit hashes and a terms version each
  (bench_registry.insert_random_works), and near-copy postings made as
  bench/bench_nearcopy.py makes its fillers: 500 ORB descriptors of the tuning split's
  photographs drawn at random, each moved to a neighbouring visual word (each half's
  centroid kept with probability 1/4, else one of its 8 nearest) with 2 random bits of
  its signature flipped, as a similar keypoint of another picture would be. A filler's
  stored record is, with `filler_records="stand-in"`, the record of one of the real crops
  (so a filler voted into the top candidates costs a real verification, and a match to
  it counts as a false positive), or with "empty" a record of no keypoints (20 bytes
  instead of 20 KB: for 1,000,000 works, where stand-ins would be 20 GB; a filler voted
  in then costs no verification).

Rows go in with bulk INSERTs of 5,000 (SQLite or PostgreSQL), never through the API.
"""

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
from PIL import Image
from rich.progress import track
from sqlalchemy import Engine, func, insert
from sqlmodel import Session, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import bench_nearcopy_cases as cases
from bench.bench_registry import insert_random_works
from governance.blobs import BlobStore
from governance.db import make_engine, prepare_storage
from governance.settings import Settings
from governance.works.nearcopy_store import describe_image
from rights.fingerprints import fingerprint
from rights.models import (
    RightsHolder,
    Work,
    WorkFingerprint,
    WorkNearCopy,
    WorkTermsVersion,
    utcnow,
)
from rights.nearcopy import Postings, Variant, WorkRecord
from rights.nearcopy.features import extract
from rights.nearcopy.vocabulary import Vocabulary, default_vocabulary
from rights.nearcopy.word_index import signatures
from rights.terms import combine

REAL_CROPS = 90
FILLER_POSTINGS = 500
FILLER_SPREAD = 9
BATCH = 5_000


@dataclass(frozen=True)
class Filled:
    settings: Settings
    works: int
    real: dict[str, int]  # a held-out work's name -> its id
    fillers: int


def settings_for(data_dir: Path, database_url: str | None = None) -> Settings:
    extra = {"database_url": database_url} if database_url else {}
    return Settings(data_dir=data_dir, register_builtin_models=False, **extra)  # type: ignore[arg-type]


def fill_registry(
    data_dir: Path,
    works: int,
    *,
    database_url: str | None = None,
    filler_records: str = "stand-in",
    seed: int = 3,
) -> Filled:
    """A new registry of `works` works under `data_dir` (SQLite there unless
    `database_url`), filled as the module says."""
    settings = settings_for(data_dir, database_url)
    prepare_storage(settings)
    engine = make_engine(settings.resolved_database_url)
    rng = np.random.default_rng(seed)
    try:
        with Session(engine) as session:
            holder = RightsHolder(name="scale bench")
            session.add(holder)
            session.commit()
            assert holder.id is not None
            real_images = [(w.name, w.image) for w in cases.works("heldout")]
            crops = _tuning_crops(rng, REAL_CROPS)
            fillers = max(0, works - len(real_images) - len(crops))
            insert_random_works(session, holder.id, fillers, rng)
            stand_ins = [r for _, _, r in _add_real(session, settings, holder.id, crops)]
            added = _add_real(session, settings, holder.id, real_images)
            real = {name: work_id for name, work_id, _ in added}
        empty = _empty_record(default_vocabulary())
        records = [empty] if filler_records == "empty" else stand_ins
        _add_filler_postings(engine, fillers, records, rng)
    finally:
        engine.dispose()
    total = fillers + len(real_images) + len(crops)
    return Filled(settings, works=total, real=real, fillers=fillers)


def _tuning_crops(rng: np.random.Generator, count: int) -> list[tuple[str, Image.Image]]:
    photos = [cases.photo(n) for n in cases.TUNING_PHOTOS]
    crops = []
    for i in range(count):
        image = photos[i % len(photos)]
        w = round(image.width * rng.uniform(0.4, 0.9))
        h = round(image.height * rng.uniform(0.4, 0.9))
        x = int(rng.integers(0, image.width - w + 1))
        y = int(rng.integers(0, image.height - h + 1))
        crops.append((f"crop{i}", image.crop((x, y, x + w, y + h))))
    return crops


def _add_real(
    session: Session, settings: Settings, holder_id: int, images: list[tuple[str, Image.Image]]
) -> list[tuple[str, int, WorkRecord]]:
    """Works kept as registration keeps them: their names, ids and records."""
    blobs = BlobStore(settings.blob_dir)
    records = []
    for name, image in track(images, description=f"{len(images)} real works"):
        prints = fingerprint(image)
        parts = describe_image(image)
        assert parts.analysis is not None
        staged = blobs.stage(parts.analysis)
        staged.promote()
        work = Work(
            holder_id=holder_id,
            title=name,
            creator="scikit-image",
            license="CC0-1.0",
            sha256=prints.pixel_sha256,
            pixel_sha256=prints.pixel_sha256,
            media_type="image/png",
            width=image.width,
            height=image.height,
            byte_size=1,
        )
        session.add(work)
        session.flush()
        assert work.id is not None
        for h in prints.hashes:
            session.add(
                WorkFingerprint(
                    work_id=work.id,
                    kind=h.kind.value,
                    orientation=h.orientation.value,
                    value=h.value,
                )
            )
        session.add(
            WorkTermsVersion(
                work_id=work.id,
                version=1,
                effective_from=utcnow(),
                declared={},
                embedded={"reads": [], "signals": []},
                effective=combine([]),
                changed_by="bench",
            )
        )
        session.add(
            WorkNearCopy(
                work_id=work.id,
                vocabulary_id=parts.record.vocabulary_id.hex(),
                postings=parts.record.postings().to_bytes(),
                record=parts.record.to_bytes(),
                analysis_sha256=staged.sha256,
                analysis_width=parts.analysis_width,
                analysis_height=parts.analysis_height,
            )
        )
        records.append((name, work.id, parts.record))
    session.commit()
    return records


def _empty_record(vocabulary: Vocabulary) -> WorkRecord:
    features = extract(np.zeros((64, 64), np.uint8))
    return WorkRecord(features, np.empty(0, np.uint32), vocabulary.id)


def filler_postings(
    vocabulary: Vocabulary,
    count: int,
    rng: np.random.Generator,
    batch: int = BATCH,
    images: list[Image.Image] | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Batches of filler works' words and signatures (each batch x FILLER_POSTINGS),
    drawn from the descriptors of `images` (the tuning split's photographs by default)."""
    images = images or [cases.photo(n) for n in cases.TUNING_PHOTOS]
    pool = np.concatenate(
        [
            extract(im, 2000, v).descriptors
            for im in images
            for v in (Variant.PLAIN, Variant.INVERTED)
        ]
    )
    size = vocabulary.codebook_size
    words = vocabulary.words(pool)[:, 0]
    halves = [words // size, words % size]
    near = []
    for codebook in vocabulary.codebooks:
        table = faiss.IndexBinaryFlat(codebook.shape[1] * 8)
        table.add(codebook)
        near.append(table.search(codebook, FILLER_SPREAD)[1])
    codes = signatures(pool)
    for start in range(0, count, batch):
        n = min(batch, count - start)
        picks = rng.integers(0, len(pool), (n, FILLER_POSTINGS))
        moved = [
            near[h][
                halves[h][picks],
                np.where(
                    rng.random(picks.shape) < 0.25, 0, rng.integers(1, FILLER_SPREAD, picks.shape)
                ),
            ]
            for h in range(2)
        ]
        flips = np.uint32(1) << rng.integers(0, 32, (n, FILLER_POSTINGS, 2)).astype(np.uint32)
        yield (
            (moved[0] * size + moved[1]).astype(np.uint32),
            codes[picks] ^ flips[..., 0] ^ flips[..., 1],
        )


def _add_filler_postings(
    engine: Engine, fillers: int, records: list[WorkRecord], rng: np.random.Generator
) -> None:
    """Near-copy rows for the fillers, works 1..fillers (inserted first, in id order)."""
    vocabulary = default_vocabulary()
    stand_ins = [r.to_bytes() for r in records]
    work_id = 1
    batches = filler_postings(vocabulary, fillers, rng)
    for words, codes in track(
        batches, total=-(-fillers // BATCH), description=f"{fillers:,} fillers' postings"
    ):
        rows = []
        for i in range(len(words)):
            rows.append(
                {
                    "work_id": work_id,
                    "vocabulary_id": vocabulary.id.hex(),
                    "postings": Postings(words[i], codes[i], vocabulary.id).to_bytes(),
                    "record": stand_ins[work_id % len(stand_ins)],
                    "analysis_sha256": "0" * 64,
                    "analysis_width": 512,
                    "analysis_height": 512,
                }
            )
            work_id += 1
        with Session(engine) as session:
            session.execute(insert(WorkNearCopy), rows)
            session.commit()
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(WorkNearCopy)).one() >= fillers
