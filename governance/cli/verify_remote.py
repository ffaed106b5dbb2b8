"""`govern verify --url`: each file posted to a running service's POST /v1/verify.

The reports are the service's own, as the key's role may be served them; they are
printed and written exactly as local ones. What is wrong with one file (not an image,
too large) is that file's error; what makes every request fail (no service there, a
refused key, a service that keeps answering busy) ends the run with one sentence.
"""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from governance.cli.aborted import Aborted
from governance.cli.verify_files import Outcome, read_bytes
from governance.credentials.report import VerifyReport

# Answers about the file sent, not the service or the key.
FILE_STATUSES = frozenset({400, 413, 415, 422})
BUSY_TRIES = 4  # a 503 DatabaseBusy is retried after its Retry-After, this many times
LONGEST_WAIT_S = 30.0
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def service_url(url: str) -> httpx.URL:
    """The service's base URL, or `Aborted` saying what is wrong with it."""
    try:
        parsed = httpx.URL(url.rstrip("/"))
    except (httpx.InvalidURL, TypeError) as exc:
        raise Aborted(f"--url {url!r} is not a URL: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise Aborted(
            f"--url must be the service's http(s) address, such as https://host, not {url!r}"
        )
    return parsed


def unencrypted(url: httpx.URL) -> bool:
    """Whether the key would cross a network in the clear."""
    return url.scheme == "http" and url.host not in LOOPBACK


class Remote:
    def __init__(
        self,
        url: str,
        key: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout_s: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = service_url(url)
        self.note: str | None = None
        self.checked_with: dict[str, Any] = {"records": "service", "url": str(self.url)}
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=self.url,
            transport=transport,
            timeout=httpx.Timeout(timeout_s, connect=10.0),
            headers={"Authorization": f"Bearer {key}"},
            # A redirect is named, not followed: the key goes only where it was sent.
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __call__(self, path: Path) -> Outcome:
        data, error = read_bytes(path)
        if data is None:
            return None, error
        response = self._post(path.name, data)
        code, detail = _error(response)
        if response.status_code == 200:
            return self._report(response), None
        if response.status_code in FILE_STATUSES:
            return None, f"{code}: {detail}"
        raise Aborted(self._refusal(response, code, detail))

    def _post(self, name: str, data: bytes) -> httpx.Response:
        files = {"file": (name, data, "application/octet-stream")}
        for attempt in range(BUSY_TRIES):
            try:
                response = self._http.post("/v1/verify", files=files)
            except httpx.TimeoutException:
                raise Aborted(f"the service at {self.url} did not answer in time") from None
            except httpx.HTTPError as exc:
                raise Aborted(f"cannot reach the service at {self.url}: {exc}") from None
            if response.status_code != 503 or attempt == BUSY_TRIES - 1:
                return response
            self._sleep(min(_retry_after(response), LONGEST_WAIT_S))
        raise AssertionError("unreachable: the last try returns")

    def _report(self, response: httpx.Response) -> VerifyReport:
        try:
            return VerifyReport.model_validate(response.json())
        except ValueError as exc:  # not JSON, or not a report of this version
            version = _version(response)
            reason = (
                f"a report of schema version {version}, which this govern does not read"
                if version not in (None, 2)
                else f"an answer that is not a verification report ({_first_line(exc)})"
            )
            raise Aborted(f"the service at {self.url} sent {reason}") from None

    def _refusal(self, response: httpx.Response, code: str, detail: str) -> str:
        status = response.status_code
        if status in (401, 403):
            return (
                f"the service at {self.url} refused the key ({status} {code}: {detail}); "
                "pass a valid key with --key or GOVERN_API_KEY"
            )
        if status == 404:
            return f"{self.url} has no POST /v1/verify (404): is it the governance service?"
        if 300 <= status < 400:
            target = response.headers.get("location", "elsewhere")
            return f"the service at {self.url} redirects to {target}: give that address to --url"
        return f"the service at {self.url} answered {status} {code}: {detail}"


def _error(response: httpx.Response) -> tuple[str, str]:
    """The service's stable error code and sentence, or the status and a bit of the body."""
    if response.status_code < 400:
        return "", ""
    try:
        body = response.json()
        return str(body["error"]), str(body["detail"])
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}", _first_line(response.text[:200]) or "no detail"


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(float(response.headers.get("retry-after", "1")), 0.0)
    except ValueError:
        return 1.0


def _version(response: httpx.Response) -> object:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("schema_version") if isinstance(body, dict) else None


def _first_line(value: object) -> str:
    text = str(value).strip()
    return text.splitlines()[0] if text else ""
