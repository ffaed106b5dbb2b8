"""The process's compute thread pools, all sized from one setting (`compute_threads`).

numpy's OpenBLAS (and faiss's) starts a team of one thread per core for each product it
computes. Requests already run in parallel, so on a busy host those teams wait for cores:
a 512 px watermark embed took 74-784 ms at the default instead of 13-18 ms with one
thread (README, Figures). threadpoolctl caps every BLAS and OpenMP library loaded so far;
torch, which only the model loader imports (and only the adapters may), is capped there
from the same number, when it is first loaded.
"""

from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]


def limit_compute_threads(threads: int) -> None:
    """Cap the BLAS and OpenMP pools loaded in this process at `threads` each."""
    # OpenBLAS's limit is process-wide; an OpenMP runtime's applies to this thread and the
    # threads it starts afterwards, which is why it is set before any request runs.
    threadpool_limits(limits=threads)
