"""Near-copy search: candidates from the word index, then geometric verification.

A query runs in passes, each only when the ones before found nothing convincing (no
match with CONFIDENT_INLIERS): as it is, mirrored left-right (which with ORB's rotation
invariance covers vertical flips too), as a negative, and as a mirrored negative. Each
pass votes for its top candidates, adds the caller's own (the global hashes' hits, say),
and verifies them against their stored records; a work keeps its best-supported match
over the passes. A weak match does not stop the search: a mirrored copy of a symmetric
picture (a brick wall, a retina) also matches the picture unmirrored, shifted, with a
few inliers, where the mirrored pass finds hundreds and the right transform.

Keypoints are detected once, on the query's working copy, and only described anew for
each pass (rights.nearcopy.features.Detected): detecting costs several times what
describing does. The best-voted work of each pass is verified in the later passes too
(CARRIED).
"""

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from rights.nearcopy.features import (
    QUERY_KEYPOINTS,
    WORK_KEYPOINTS,
    Detected,
    Features,
    Variant,
    described,
    detect,
    extract,
    grey_array,
)
from rights.nearcopy.record import Postings, WorkRecord, unpack_postings
from rights.nearcopy.transform import Transform, describe
from rights.nearcopy.verify import MIN_INLIERS, Verified, verify
from rights.nearcopy.vocabulary import Vocabulary, default_vocabulary
from rights.nearcopy.word_index import Batch, Packed, WordIndex, signatures

# What a stored answer was found with: 1, words and RANSAC; 2, guided matching and the
# best-voted work carried into later passes (more inliers, small harsh copies found).
MATCHER_VERSION = 2
CANDIDATES = 10
# A query keypoint looks in the cells of each half's nearest centroid and of the next one
# when it is within QUERY_MARGIN bits: on the tuning split among 100,000 synthetic works,
# this put every verifiable copy in the top 10 (its own cell alone missed 2%).
QUERY_NEAREST = 2
QUERY_MARGIN = 2
# A match this strong (in ratio-tested inliers, before guided matching adds its own)
# ends the search; a weaker one lets the next pass run.
CONFIDENT_INLIERS = 40
# The best-voted work of each pass is verified again in every later pass: on the tuning
# split a small mirrored copy of a crop registered beside its whole picture was voted
# first in the plain pass but left out of the mirrored pass's top ten by the whole picture
# and its neighbours, and would have verified there with 59 inliers.
CARRIED = 1
PASSES = (Variant.PLAIN, Variant.MIRRORED, Variant.INVERTED, Variant.INVERTED_MIRRORED)

# Records of the works asked for (those not found are left out).
RecordLoader = Callable[[Sequence[int]], Mapping[int, WorkRecord]]


@dataclass(frozen=True, eq=False)
class NearCopy:
    work_id: int
    inliers: int
    score: float  # in [0, 1]: inliers / (inliers + MIN_INLIERS), so 0.5 at the default bar
    transform: Transform
    query_to_work: np.ndarray  # 3 x 3, query pixels -> work pixels

    @property
    def homography(self) -> list[list[float]]:
        return [[float(v) for v in row] for row in self.query_to_work]


def score(inliers: int) -> float:
    """How strongly the inliers bear a match out, in [0, 1): 0.5 at MIN_INLIERS, 0.9 at
    nine times as many. Monotone in the inliers, and independent of the caller's bar."""
    return round(inliers / (inliers + MIN_INLIERS), 4)


def describe_work(
    image: Image.Image | np.ndarray, vocabulary: Vocabulary | None = None
) -> WorkRecord:
    """A work's record: its features and their visual words (to store and to index)."""
    vocabulary = vocabulary or default_vocabulary()
    features = extract(image, WORK_KEYPOINTS)
    words = vocabulary.words(features.descriptors)[:, 0]
    return WorkRecord(features, words, vocabulary.id)


class NearCopyIndex:
    """The word index of registered works, and search over it."""

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        self.vocabulary = vocabulary or default_vocabulary()
        self.words = WordIndex(self.vocabulary.size)

    def __len__(self) -> int:
        return len(self.words)

    def memory_bytes(self) -> int:
        return self.words.memory_bytes()

    def add(self, work_id: int, record: WorkRecord) -> None:
        self.add_many([(work_id, record)])

    def add_many(self, records: Iterable[tuple[int, WorkRecord]]) -> None:
        """Index works by their records (made with this index's vocabulary)."""
        self.add_postings((work_id, record.postings()) for work_id, record in records)

    def add_postings(self, items: Iterable[tuple[int, Postings]]) -> None:
        """Index works by their postings alone (a start-up's bulk load): one batch."""
        ids, words, codes = [], [], []
        for work_id, postings in items:
            self._check(work_id, postings)
            ids.append(work_id)
            words.append(postings.words)
            codes.append(postings.signatures)
        self.words.add_many(ids, words, codes)

    def load(self, batches: Callable[[], Iterable[Sequence[tuple[int, Postings]]]]) -> int:
        """Fill an empty index at start-up: `batches()` is read twice (to size the posting
        lists, then to fill them), so peak memory is the index and one batch. The number
        of works loaded."""

        def unpacked() -> Iterator[Batch]:
            for batch in batches():
                for work_id, postings in batch:
                    self._check(work_id, postings)
                yield (
                    [work_id for work_id, _ in batch],
                    [postings.words for _, postings in batch],
                    [postings.signatures for _, postings in batch],
                )

        return self.words.load(unpacked)

    def load_stored(
        self, batches: Callable[[], Iterable[tuple[Sequence[int], Sequence[bytes]]]]
    ) -> int:
        """`load`, from postings as stored (`Postings.to_bytes`), each batch unpacked at
        once (rights.nearcopy.record.unpack_postings): no Python call per work, which is
        most of a million works' load otherwise."""

        def packed() -> Iterator[Packed]:
            for work_ids, datas in batches():
                counts, words, codes = unpack_postings(datas, self.vocabulary.id)
                yield Packed(np.asarray(work_ids, dtype=np.int64), counts, words, codes)

        return self.words.load(packed)

    def compact(self) -> None:
        """Drop the posting lists' spare room (after many adds)."""
        self.words.compact()

    def _check(self, work_id: int, postings: Postings) -> None:
        if postings.vocabulary_id != self.vocabulary.id:
            raise ValueError(f"work {work_id}'s record was made with another vocabulary")

    def search(
        self,
        image: Image.Image | np.ndarray,
        load: RecordLoader,
        *,
        also: Sequence[int] = (),
        candidates: int = CANDIDATES,
        min_inliers: int = MIN_INLIERS,
        passes: Sequence[Variant] = PASSES,
        given: Mapping[Variant, Features] | None = None,
    ) -> list["NearCopy"]:
        """Registered works that `image` copies, best first (most inliers). `also`: more
        works to verify in every pass (the global hashes' hits); `load` gives the records
        to verify on (ids it does not know are skipped). `min_inliers` below the default
        finds weaker resemblances, for a review band: their score is under 0.5.

        `passes` (in order) and `given` (features already taken, per variant: a new
        work's own record, say) let a caller that must be quick run fewer extractions;
        `candidates=0` verifies `also` alone, without voting."""
        grey = grey_array(image)
        detected: Detected | None = None
        records: dict[int, WorkRecord] = {}
        best: dict[int, NearCopy] = {}
        confident = False
        carried: list[int] = []
        for variant in passes:
            query = (given or {}).get(variant)
            if query is None:
                # One detection serves every pass (rights.nearcopy.features.Detected).
                detected = detected or detect(grey, QUERY_KEYPOINTS)
                query = described(detected, variant)
            if not len(query):
                continue
            voted = (
                self.words.candidates(
                    self.vocabulary.words(query.descriptors, QUERY_NEAREST, QUERY_MARGIN),
                    signatures(query.descriptors),
                    candidates,
                )
                if candidates > 0
                else []
            )
            wanted = list(dict.fromkeys([*also, *(c.work_id for c in voted), *carried]))
            carried.extend(c.work_id for c in voted[:CARRIED])
            missing = [w for w in wanted if w not in records]
            if missing:
                records.update(load(missing))
            for work_id in wanted:
                if work_id not in records:
                    continue
                checked = verify(query, variant, records[work_id].features, min_inliers)
                if checked is None:
                    continue
                confident = confident or checked.ratio_inliers >= CONFIDENT_INLIERS
                if work_id not in best or checked.inliers > best[work_id].inliers:
                    best[work_id] = _match(query, variant, work_id, records[work_id], checked)
            if confident:
                break
        return sorted(best.values(), key=lambda m: (-m.inliers, m.work_id))


def _match(
    query: Features, variant: Variant, work_id: int, record: WorkRecord, checked: Verified
) -> NearCopy:
    work = record.features
    transform = describe(
        checked.query_to_work,
        (query.width, query.height),
        (work.width, work.height),
        inverted=variant.inverted,
    )
    return NearCopy(
        work_id, checked.inliers, score(checked.inliers), transform, checked.query_to_work
    )
