"""GOVERN_COMPUTE_THREADS sizes numpy's BLAS, the OpenMP pools and torch at start."""

import os
import threading
from pathlib import Path

import pytest
from pydantic import ValidationError
from threadpoolctl import threadpool_info, threadpool_limits

from governance.adapters.base import ModelKind
from governance.adapters.loader import parse_adapter
from governance.services import build_services
from governance.settings import Settings

CORES = os.cpu_count() or 1


def _pools() -> dict[str, int]:
    return {f"{i['internal_api']} {i['filepath']}": i["num_threads"] for i in threadpool_info()}


def _start(tmp_path: Path, threads: int) -> None:
    settings = Settings(data_dir=tmp_path, register_builtin_models=False, compute_threads=threads)
    build_services(settings).engine.dispose()


def test_the_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVERN_COMPUTE_THREADS", raising=False)
    assert Settings().compute_threads == 1
    monkeypatch.setenv("GOVERN_COMPUTE_THREADS", "3")
    assert Settings().compute_threads == 3
    monkeypatch.setenv("GOVERN_COMPUTE_THREADS", "0")
    with pytest.raises(ValidationError):
        Settings()


def test_a_start_sizes_every_blas_and_openmp_pool(tmp_path: Path) -> None:
    threadpool_limits(limits=CORES)  # as the libraries start: a thread per core
    _start(tmp_path, 1)
    pools = _pools()
    assert any(name.startswith("openblas") for name in pools), pools  # numpy's, at least
    assert set(pools.values()) == {1}, pools
    if CORES >= 2:
        _start(tmp_path, 2)
        # numpy's; faiss's OpenMP build of OpenBLAS follows faiss's own pinning.
        numpy_blas = {name: n for name, n in _pools().items() if "numpy" in name}
        assert set(numpy_blas.values()) == {2}, numpy_blas
        _start(tmp_path, 1)


def test_torch_takes_the_setting_when_a_model_is_loaded(tmp_path: Path) -> None:
    import torch

    if CORES < 2:
        pytest.skip("one core: torch's default is the setting already")
    torch.set_num_threads(CORES)
    settings = Settings(data_dir=tmp_path, register_builtin_models=False, compute_threads=1)
    services = build_services(settings)
    services.engine.dispose()
    services.model_loader.load(
        parse_adapter("builtin:generation", ModelKind.GENERATION), ModelKind.GENERATION
    )
    assert torch.get_num_threads() == 1
    # The model workers are other threads: they take the number on first use.
    seen: list[int] = []
    worker = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
    worker.start()
    worker.join()
    assert seen == [1]
    assert set(_pools().values()) == {1}  # torch's own OpenMP runtime included
