"""Visual words: ORB descriptors quantised by a product of two binary codebooks.

A descriptor's two 128-bit halves each take their nearest centroid (Hamming distance);
the word is first * K + second, one of K * K (K = 1,024: 1,048,576 words, from a 32 KB
file). So many words keep posting lists short at a million works (about 500 postings a
word); with 65,536 words (K = 256) a query read 16 times more postings and, among 100,000
synthetic works, missed 2% of the tuning split's hardest copies that K = 1,024 found.
The codebooks are trained by tools/make_nearcopy_vocabulary.py and shipped in
rights/data/. A query may also look in each half's next-nearest cells (`nearest`,
`margin`): a copy's descriptor drifts by some bits and can cross a cell's border.
"""

import hashlib
from functools import cache
from pathlib import Path

import faiss
import numpy as np

VOCABULARY_PATH = Path(__file__).resolve().parent.parent / "data" / "nearcopy_vocabulary.npy"
CODEBOOK_SIZE = 1024
HALF_BYTES = 16


class Vocabulary:
    def __init__(self, codebooks: np.ndarray) -> None:
        if codebooks.ndim != 3 or codebooks.shape[0] != 2 or codebooks.shape[2] != HALF_BYTES:
            raise ValueError(f"a vocabulary is 2 x K x {HALF_BYTES} uint8")
        self.codebook_size = codebooks.shape[1]
        self.size = self.codebook_size**2
        # One thread: on a busy two-core host OpenMP teams make a search 20-100x slower
        # (as rights.hash_index found).
        faiss.omp_set_num_threads(1)
        self.codebooks = codebooks
        # 8 bytes naming these codebooks: records made with others are not mixed in.
        self.id = hashlib.sha256(codebooks.tobytes()).digest()[:8]
        self._halves = []
        for half in codebooks:
            index = faiss.IndexBinaryFlat(HALF_BYTES * 8)
            index.add(np.ascontiguousarray(half))
            self._halves.append(index)

    def words(self, descriptors: np.ndarray, nearest: int = 1, margin: int = 256) -> np.ndarray:
        """Each descriptor's words: N x nearest**2 (each half's `nearest` centroids,
        paired), the pair of nearest centroids first. A centroid farther than `margin`
        bits beyond its half's nearest is left out: its words are -1."""
        if len(descriptors) == 0:
            return np.empty((0, nearest * nearest), dtype=np.int64)
        codes = np.ascontiguousarray(descriptors, dtype=np.uint8)
        # Again here: OpenMP's setting is the calling thread's, and requests run on worker
        # threads that the constructor's call never reached (a registration over HTTP
        # took 1.2 s instead of 0.15 s on a busy two-core host).
        faiss.omp_set_num_threads(1)
        found = []
        for half, index in enumerate(self._halves):
            part = np.ascontiguousarray(codes[:, half * HALF_BYTES : (half + 1) * HALF_BYTES])
            distances, centroids = index.search(part, nearest)
            far = distances - distances[:, :1] > margin
            found.append(np.where(far, -1, centroids).astype(np.int64))
        first, second = found
        pairs: np.ndarray = first[:, :, None] * self.codebook_size + second[:, None, :]
        pairs[(first[:, :, None] < 0) | (second[:, None, :] < 0)] = -1
        return pairs.reshape(len(codes), nearest * nearest)


@cache
def default_vocabulary() -> Vocabulary:
    """The shipped vocabulary (read once per process)."""
    codebooks = np.load(VOCABULARY_PATH, allow_pickle=False)
    return Vocabulary(np.ascontiguousarray(codebooks, dtype=np.uint8))
