"""Parallel clients over real HTTP: generations, verifications and registrations at once
answer with no 5xx and no dropped connection, and leave the log intact (issue 11, item 1).
"""

import json
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx

from governance.audit.check import check_log
from governance.db import unit_of_work
from tests.support.call_helpers import _model
from tests.support.helpers import encode, np_image, work_metadata
from tests.support.live_server import live_server
from tests.support.service_fixture import make_service

GENERATOR = "python:tests.support.fake_models:gradient_generate"
CLIENTS, GENERATIONS, VERIFIERS, VERIFICATIONS, REGISTRATIONS = 6, 6, 3, 8, 8

Send = Callable[[httpx.Client, int], httpx.Response]


def test_a_burst_of_mixed_clients_gets_no_5xx(database_url: str, tmp_path: Path) -> None:
    # Default settings, as the probe had them (a 10 s busy timeout): every write
    # transaction must stay short, and no read may wait for one.
    service = make_service(database_url, tmp_path / "data")
    model = _model(service, name="painter", kind="generation", adapter=GENERATOR)
    sample = encode(np_image(99))
    answers: Counter[str] = Counter()
    lock = threading.Lock()

    def generation(client: httpx.Client, n: int) -> httpx.Response:
        body = {
            "model": model,
            "prompt": f"a harbour, study {n}",
            "seed": n,
            "width": 64,
            "height": 64,
        }
        return client.post("/v1/generations", json=body)

    def verification(client: httpx.Client, n: int) -> httpx.Response:
        return client.post("/v1/verify", files={"file": ("a.png", sample)})

    def registration(client: httpx.Client, n: int) -> httpx.Response:
        return client.post(
            "/v1/works",
            files={"file": ("w.png", encode(np_image(1000 + n)))},
            data={"metadata": json.dumps(work_metadata(title=f"Work {n}"))},
        )

    def client_loop(base: str, key: str, send: Send, count: int) -> None:
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60
        ) as client:
            for n in range(count):
                try:
                    got = str(send(client, n).status_code)
                except httpx.HTTPError as exc:
                    got = f"dropped: {type(exc).__name__}"
                with lock:
                    answers[got] += 1

    keys = service.keys
    jobs = [(keys["operator"], generation, GENERATIONS)] * CLIENTS
    jobs += [(keys["regulator"], verification, VERIFICATIONS)] * VERIFIERS
    jobs.append((keys["alice"], registration, REGISTRATIONS))
    with live_server(service.app) as base:
        threads = [threading.Thread(target=client_loop, args=(base, *job)) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert answers == {
        "201": CLIENTS * GENERATIONS + REGISTRATIONS,
        "200": VERIFIERS * VERIFICATIONS,
    }, answers
    services = service.app.state.services
    with unit_of_work(services.engine) as session:
        _, problems = check_log(session, services.audit)
    assert problems == []
    services.engine.dispose()
