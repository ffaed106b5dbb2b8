"""`govern screen --url`: each file posted to a running service's POST /v1/screen.

The answers are the service's own, as the key may see them. What is wrong with one file
(not an image, too large) is that file's error; what makes every request fail (no service
there, a refused key) ends the run with one sentence.
"""

from pathlib import Path

import httpx
from pydantic import ValidationError
from rich.console import Console

from governance.cli.aborted import Aborted
from governance.cli.verify_remote import FILE_STATUSES, service_url, unencrypted
from governance.screening.schemas import ScreenResult

Outcome = tuple[ScreenResult | None, str | None]


class Remote:
    def __init__(
        self,
        url: str,
        key: str,
        errors: Console,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout_s: float = 120.0,
    ) -> None:
        self.url = service_url(url)
        if unencrypted(self.url):
            errors.print(
                f"warning: {url} is not https: the key crosses the network unencrypted",
                markup=False,
            )
        self.checked_with = f"Screened by the service at {self.url}, as its key may see"
        self._http = httpx.Client(
            base_url=self.url,
            transport=transport,
            timeout=httpx.Timeout(timeout_s, connect=10.0),
            headers={"Authorization": f"Bearer {key}"},
            follow_redirects=False,  # the key goes only where it was sent
        )

    def close(self) -> None:
        self._http.close()

    def __call__(self, path: Path, data: bytes) -> Outcome:
        files = {"file": (path.name, data, "application/octet-stream")}
        try:
            response = self._http.post("/v1/screen", files=files)
        except httpx.TimeoutException:
            raise Aborted(f"the service at {self.url} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise Aborted(f"cannot reach the service at {self.url}: {exc}") from None
        if response.status_code == 200:
            try:
                return ScreenResult.model_validate(response.json()), None
            except (ValueError, ValidationError):
                raise Aborted(
                    f"the service at {self.url} sent an answer that is not a screen of this version"
                ) from None
        code, detail = _error(response)
        if response.status_code in FILE_STATUSES:
            return None, f"{code}: {detail}"
        if response.status_code in (401, 403):
            raise Aborted(
                f"the service at {self.url} refused the key ({response.status_code} {code}: "
                f"{detail}); pass a valid key with --key or GOVERN_API_KEY"
            )
        raise Aborted(f"the service at {self.url} answered {response.status_code} {code}: {detail}")


def _error(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
        return str(body["error"]), str(body["detail"])
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}", response.text[:200].strip() or "no detail"
