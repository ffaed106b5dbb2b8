"""Response headers: no content sniffing anywhere, and caching only of released outputs."""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from governance.calls.status import CallStatus

# Browsers must take the declared type: an uploaded or generated file served as an image
# (or a manifest as application/c2pa) is never run as HTML or script.
NOSNIFF = {"X-Content-Type-Options": "nosniff"}
# A released output is final (calls/status.py) and its bytes never change under its URL,
# so the client that fetched it may keep it an hour; `private` keeps it out of shared
# caches, since it was served to a key.
RELEASED_MAX_AGE_SECONDS = 3600


def served_file_headers(status: CallStatus) -> dict[str, str]:
    """Cache-Control of an output or its manifest, by the call's status."""
    if status is CallStatus.RELEASED:
        return {"Cache-Control": f"private, max-age={RELEASED_MAX_AGE_SECONDS}"}
    # Not released: a reviewer's copy, to be kept by no cache at all.
    return {"Cache-Control": "private, no-store"}


class SecurityHeaders:
    """Adds `X-Content-Type-Options: nosniff` to every HTTP response, errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in NOSNIFF.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
