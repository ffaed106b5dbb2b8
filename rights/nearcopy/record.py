"""A registered work's features as stored: compact, versioned bytes.

Layout (little-endian): magic b"NCPY", format version (u16), vocabulary id (8 bytes),
width, height, keypoint count (u32 each), then per keypoint its working-frame x, y
(float16: 0.25 px at worst on a 512 px frame, far inside RANSAC's tolerance), its ORB
orientation (u8, 1.4 degree steps), its descriptor (32 bytes) and its visual word (u32).
41 bytes a keypoint: about 20 KB for a work's 500. The words are kept so that an index
can be rebuilt without the vocabulary's cost; a record made with another vocabulary is
refused by the index rather than mixed in.
"""

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rights.errors import RightsError
from rights.nearcopy.arena import ranges
from rights.nearcopy.features import DESCRIPTOR_BYTES, Features, working_scale
from rights.nearcopy.word_index import signatures

MAGIC = b"NCPY"
POSTINGS_MAGIC = b"NCPP"
_PAD = b"\0\0"
FORMAT_VERSION = 1
_HEADER = struct.Struct("<4sH8sIII")
_POSTINGS_HEADER = struct.Struct("<4sH8sI")
# Far above any budget; a larger count is a corrupt or hostile record.
MAX_KEYPOINTS = 65_536


_ANGLE_STEP = 360.0 / 256


def _angle_codes(angles: np.ndarray) -> np.ndarray:
    steps = np.rint(np.asarray(angles, dtype=np.float64) / _ANGLE_STEP).astype(np.int64)
    codes: np.ndarray = (steps % 256).astype(np.uint8)
    return codes


class InvalidRecordError(RightsError):
    """Bytes that are not a near-copy record this version can read."""


@dataclass(frozen=True, eq=False)
class Postings:
    """What the word index keeps of a work: its keypoints' words and signatures. As
    bytes (8 a keypoint, 4 KB a work) they let an index be rebuilt at start-up without
    reading the full records (20 KB a work)."""

    words: np.ndarray  # uint32
    signatures: np.ndarray  # uint32
    vocabulary_id: bytes

    def to_bytes(self) -> bytes:
        header = _POSTINGS_HEADER.pack(
            POSTINGS_MAGIC, FORMAT_VERSION, self.vocabulary_id, len(self.words)
        )
        words = np.asarray(self.words, dtype="<u4").tobytes()
        return header + words + np.asarray(self.signatures, dtype="<u4").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> "Postings":
        if len(data) < _POSTINGS_HEADER.size:
            raise InvalidRecordError("near-copy postings are shorter than their header")
        magic, version, vocabulary_id, count = _POSTINGS_HEADER.unpack_from(data)
        if magic != POSTINGS_MAGIC or version != FORMAT_VERSION:
            raise InvalidRecordError("these bytes are not near-copy postings readable here")
        if count > MAX_KEYPOINTS or len(data) != _POSTINGS_HEADER.size + 8 * count:
            raise InvalidRecordError(f"near-copy postings of {count} keypoints are the wrong size")
        words = np.frombuffer(data, "<u4", count, _POSTINGS_HEADER.size)
        codes = np.frombuffer(data, "<u4", count, _POSTINGS_HEADER.size + 4 * count)
        return cls(words.astype(np.uint32), codes.astype(np.uint32), vocabulary_id)


def unpack_postings(
    datas: Sequence[bytes], vocabulary_id: bytes
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Many works' postings bytes at once: each work's keypoint count, then all their
    words and all their signatures, end to end, with no Python call per work. Bytes that
    are not postings of this vocabulary raise InvalidRecordError."""
    count = len(datas)
    if not count:
        return np.empty(0, np.int64), np.empty(0, np.uint32), np.empty(0, np.uint32)
    header = _POSTINGS_HEADER.size
    sizes = np.fromiter((len(d) for d in datas), np.int64, count)
    if (sizes < header).any():
        raise InvalidRecordError("near-copy postings are shorter than their header")
    # Postings are 18 + 8n bytes: two bytes before each make every one's words and
    # signatures start on a 4-byte boundary, so they are read as uint32 directly.
    joined = np.frombuffer(_PAD + _PAD.join(datas), np.uint8)
    starts = np.zeros(count, dtype=np.int64)
    np.cumsum(sizes[:-1] + len(_PAD), out=starts[1:])
    starts += len(_PAD)
    heads = joined[starts[:, None] + np.arange(header)]
    expected = np.frombuffer(
        _POSTINGS_HEADER.pack(POSTINGS_MAGIC, FORMAT_VERSION, vocabulary_id, 0)[:14], np.uint8
    )
    if not (heads[:, :14] == expected).all():
        raise InvalidRecordError("these bytes are not near-copy postings of this vocabulary")
    counts = np.ascontiguousarray(heads[:, 14:18]).view("<u4").reshape(-1).astype(np.int64)
    if (counts > MAX_KEYPOINTS).any() or (sizes != header + 8 * counts).any():
        raise InvalidRecordError("near-copy postings are the wrong size for their count")
    whole = joined[: len(joined) // 4 * 4].view("<u4")
    first = (starts + header) // 4
    words = whole[ranges(first, counts)].astype(np.uint32)
    codes = whole[ranges(first + counts, counts)].astype(np.uint32)
    return counts, words, codes


@dataclass(frozen=True, eq=False)
class WorkRecord:
    features: Features
    words: np.ndarray  # uint32, one visual word per keypoint
    vocabulary_id: bytes  # 8 bytes: which vocabulary gave the words

    def postings(self) -> Postings:
        return Postings(
            np.asarray(self.words, dtype=np.uint32),
            signatures(self.features.descriptors),
            self.vocabulary_id,
        )

    def to_bytes(self) -> bytes:
        f = self.features
        count = len(f)
        header = _HEADER.pack(MAGIC, FORMAT_VERSION, self.vocabulary_id, f.width, f.height, count)
        return b"".join(
            [
                header,
                np.asarray(f.points, dtype="<f2").tobytes(),
                _angle_codes(f.angles).tobytes(),
                np.asarray(f.descriptors, dtype=np.uint8).tobytes(),
                np.asarray(self.words, dtype="<u4").tobytes(),
            ]
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> "WorkRecord":
        if len(data) < _HEADER.size:
            raise InvalidRecordError("a near-copy record is shorter than its header")
        magic, version, vocabulary_id, width, height, count = _HEADER.unpack_from(data)
        if magic != MAGIC:
            raise InvalidRecordError("these bytes are not a near-copy record")
        if version != FORMAT_VERSION:
            raise InvalidRecordError(f"near-copy record format {version} is not readable here")
        if count > MAX_KEYPOINTS or width < 1 or height < 1:
            raise InvalidRecordError("a near-copy record's header is out of range")
        expected = _HEADER.size + count * (4 + 1 + DESCRIPTOR_BYTES + 4)
        if len(data) != expected:
            raise InvalidRecordError(f"a near-copy record of {count} keypoints is {expected} bytes")
        offset = _HEADER.size
        points = np.frombuffer(data, "<f2", count * 2, offset).reshape(count, 2)
        offset += count * 4
        angles = np.frombuffer(data, np.uint8, count, offset).astype(np.float32) * _ANGLE_STEP
        offset += count
        descriptors = np.frombuffer(data, np.uint8, count * DESCRIPTOR_BYTES, offset)
        offset += count * DESCRIPTOR_BYTES
        words = np.frombuffer(data, "<u4", count, offset)
        features = Features(
            points=points.astype(np.float32),
            angles=angles,
            descriptors=descriptors.reshape(count, DESCRIPTOR_BYTES).copy(),
            width=width,
            height=height,
            scale=working_scale(width, height),
        )
        return cls(features, words.astype(np.uint32), vocabulary_id)
