"""A small Python client for the HTTP API.

    from governance.client import GovernClient
    with GovernClient("http://127.0.0.1:8000", key) as client:
        call = client.generate("builtin-generation", "a cup of coffee", seed=7)
        png = client.output(call["id"])

Every method returns the decoded JSON answer (or bytes for files); a 4xx or 5xx
answer raises `ApiError` carrying the service's stable error code and sentence.
"""

import json
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail


class GovernClient:
    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        key: str | None = None,
        http: httpx.Client | None = None,
        timeout: float = 120.0,
    ) -> None:
        """`http` lets a caller pass its own client (a test client, a proxy set-up)."""
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._owned = http is None
        self._http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self._headers = headers

    def __enter__(self) -> "GovernClient":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._owned:
            self._http.close()

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = self._http.request(method, url, headers=self._headers, **kwargs)
        if response.status_code >= 400:
            try:
                body = response.json()
                code, detail = body["error"], body["detail"]
            except (ValueError, KeyError, TypeError):
                code, detail = "HttpError", response.text[:500]
            raise ApiError(response.status_code, code, detail)
        return response

    def _json(self, method: str, url: str, **kwargs: Any) -> Any:
        return self._send(method, url, **kwargs).json()

    # Works
    def register_work(self, image: bytes, metadata: dict[str, Any]) -> Any:
        files = {"file": ("work", image, "application/octet-stream")}
        return self._json("POST", "/v1/works", files=files, data={"metadata": json.dumps(metadata)})

    def match(self, image: bytes) -> Any:
        files = {"file": ("query", image, "application/octet-stream")}
        return self._json("POST", "/v1/works/match", files=files)

    def change_terms(self, work_id: int, terms: dict[str, Any]) -> Any:
        return self._json("PUT", f"/v1/works/{work_id}/terms", json={"terms": terms})

    # Models
    def register_model(self, model: dict[str, Any]) -> Any:
        return self._json("POST", "/v1/models", json=model)

    def models(self, limit: int = 50, offset: int = 0, name: str | None = None) -> Any:
        """A page of models; with `name`, of that name's versions only."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if name is not None:
            params["name"] = name
        return self._json("GET", "/v1/models", params=params)

    def model(self, model: int | str, version: str | None = None) -> Any:
        """A model by id; by name, the version a call naming it gets (or `version`)."""
        params = {"version": version} if version is not None else {}
        return self._json("GET", f"/v1/models/{_segment(model)}", params=params)

    def model_by_name(self, name: str, version: str | None = None) -> Any:
        """The version of `name` that calls naming it get (or `version`); 404 if none."""
        if name.isdigit() or "/" in name:
            # Not addressable in a path: a digit name would read as an id.
            page = self.models(limit=200, name=name)
            matching = [m for m in page["items"] if version in (None, m["version"])]
            if not matching:
                raise ApiError(404, "ModelNotFound", f"no model is named '{name}'")
            return matching[-1]
        return self.model(name, version)

    def retire_model(self, model_id: int, reason: str) -> Any:
        return self._json("POST", f"/v1/models/{model_id}/retire", json={"reason": reason})

    def clearance(self, model_id: int) -> Any:
        return self._json("GET", f"/v1/models/{model_id}/clearance")

    # Governed calls
    def restore(
        self,
        model_id: int | str,
        image: bytes,
        mask: bytes,
        parameters: dict[str, Any] | None = None,
        visible_label: bool | None = None,
        version: str | None = None,
    ) -> Any:
        """`model_id`: an id, or a name (its newest cleared version, or `version`)."""
        files = {
            "file": ("image", image, "application/octet-stream"),
            "mask": ("mask", mask, "application/octet-stream"),
        }
        metadata = json.dumps(
            {
                **_named(model_id, version),
                "parameters": parameters or {},
                "visible_label": visible_label,
            }
        )
        return self._json("POST", "/v1/restorations", files=files, data={"metadata": metadata})

    def generate(
        self,
        model_id: int | str,
        prompt: str,
        seed: int = 0,
        width: int = 512,
        height: int = 512,
        visible_label: bool | None = None,
        version: str | None = None,
    ) -> Any:
        """`model_id`: an id, or a name (its newest cleared version, or `version`)."""
        body = {
            **_named(model_id, version),
            "prompt": prompt,
            "seed": seed,
            "width": width,
            "height": height,
            "visible_label": visible_label,
        }
        return self._json("POST", "/v1/generations", json=body)

    def call(self, call_id: int) -> Any:
        return self._json("GET", f"/v1/calls/{call_id}")

    def output(self, call_id: int) -> bytes:
        return self._send("GET", f"/v1/calls/{call_id}/output").content

    # Labels
    def ca_pem(self) -> bytes:
        return self._send("GET", "/v1/labels/ca.pem").content

    def verify(self, data: bytes, filename: str = "file") -> Any:
        files = {"file": (filename, data, "application/octet-stream")}
        return self._json("POST", "/v1/verify", files=files)

    def matches_by_content(self, data: bytes) -> Any:
        files = {"file": ("query", data, "application/octet-stream")}
        return self._json("POST", "/v1/matches/byContent", files=files)

    def manifest(self, manifest_id: str) -> bytes:
        return self._send("GET", f"/v1/manifests/{manifest_id}").content

    # Audit
    def audit_key(self) -> Any:
        return self._json("GET", "/v1/audit/key")

    def audit_entries(self, subject: str) -> Any:
        return self._json("GET", "/v1/audit/entries", params={"subject": subject})


def _named(model: int | str, version: str | None) -> dict[str, Any]:
    return {"model": model} if version is None else {"model": model, "version": version}


def _segment(model: int | str) -> str:
    return str(model) if isinstance(model, int) else quote(model, safe="")
