"""An upload with a missing or bad key is refused from its headers, before any of its body
is read (issue 11, item 21)."""

import asyncio
import json
import socket
from typing import Any

import pytest

from tests.support.live_server import live_server
from tests.support.service_fixture import Service


def _call(service: Service, method: str, path: str, headers: dict[str, str]) -> dict[str, Any]:
    """The answer of the ASGI app to a request whose body must never be read."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body was read")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1),
        "headers": [
            (b"content-length", b"40000000"),
            (b"content-type", b"multipart/form-data; boundary=x"),
            *((k.lower().encode(), v.encode()) for k, v in headers.items()),
        ],
    }
    asyncio.run(service.app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return {"status": start["status"], "body": json.loads(body)}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/works"),
        ("POST", "/v1/verify"),
        ("POST", "/v1/restorations"),
        ("POST", "/v1/matches/byContent"),
        ("PUT", "/v1/works/1/terms"),
        ("POST", "/v1/models"),
    ],
)
@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "MissingApiKey"),
        ({"Authorization": "Bearer gov_not-a-key"}, "InvalidApiKey"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "InvalidApiKey"),
    ],
)
def test_uploads_without_a_good_key_are_refused_before_the_body(
    module_service: Service, method: str, path: str, headers: dict[str, str], code: str
) -> None:
    stored = module_service.stored()
    answer = _call(module_service, method, path, headers)
    assert answer["status"] == 401
    assert answer["body"]["error"] == code
    assert module_service.stored() == stored


def test_a_method_no_route_takes_is_405_not_401(service: Service) -> None:
    # PUT on a path that takes only GET: the router's answer, not the key check's.
    response = service.client.put("/v1/audit/key", content=b"x")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"


def test_over_http_the_401_comes_before_the_body_is_sent(service: Service) -> None:
    with live_server(service.app) as base:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            head = (
                "POST /v1/works HTTP/1.1\r\nHost: x\r\nContent-Length: 40000000\r\n"
                "Content-Type: multipart/form-data; boundary=x\r\n\r\n"
            )
            sock.sendall(head.encode())  # and not one byte of the 40 MB
            answer = ""
            while "}" not in answer:  # the head and the JSON body may come apart
                chunk = sock.recv(4096).decode()
                if not chunk:
                    break
                answer += chunk
    assert answer.startswith("HTTP/1.1 401"), answer
    assert "MissingApiKey" in answer
