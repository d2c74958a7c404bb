"""Security headers on every HTTP answer, set in one place (issue 13).

Why: the page at `/` shows data other people typed (sentence texts, names) and holds a bearer
token in the browser, so a script injected anywhere must not run, the page must not be framed
(clickjacking), answers must not be sniffed into another type, and URLs must not leak to other
sites through the Referer header. Stored recordings are user uploads: served inline, a crafted
"audio" file could be rendered by the browser as something else, so they are downloads.

- `Content-Security-Policy`: the app's own policy (`APP_POLICY`) everywhere except the API
  docs (`/docs`, `/redoc`, served offline by web/api_docs.py), which get `DOCS_POLICY`: also
  everything from our origin only, plus the inline styles and the `blob:` search worker of
  ReDoc and Swagger UI's `data:` images. Scripts only from our origin, never inline.
  `style-src` allows `'unsafe-inline'` because the page sets `style="width:…%"` on score
  meters (result.js); styles cannot run code.
  `connect-src` names `ws://host`/`wss://host` of the request as well, for browsers whose
  `'self'` does not cover WebSocket schemes.
- `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` (plus `frame-ancestors 'none'`),
  `Referrer-Policy: no-referrer`.
- `Content-Disposition: attachment` on the audio download routes (`AUDIO_DOWNLOAD`), whose
  handlers live in `practice/routes.py`. The page fetches them with `fetch` and plays a blob
  URL, so this does not change playback.
"""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vocalborn.practice.routes import MEDIA_TYPES

APP_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self'; "
    "connect-src 'self'{ws}; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Swagger UI and ReDoc from our own files (no CDN, no inline script). Still no framing.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "font-src 'self'; img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
AUDIO_DOWNLOAD = re.compile(
    r"^/api/v1/practice/(?:records/[^/]+/audio|sentences/[^/]+/reference/audio)$"
)
_EXTENSIONS = {media: f".{fmt}" for fmt, media in MEDIA_TYPES.items()}
# A Host header we are willing to echo into the policy (name or [v6], optional port).
_HOST = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$")


def policy_for(path: str, host: str | None) -> str:
    if path == "/docs" or path.startswith(("/docs/", "/redoc")):
        return DOCS_POLICY
    ws = f" ws://{host} wss://{host}" if host and _HOST.match(host) else ""
    return APP_POLICY.format(ws=ws)


class SecurityHeaders:
    """Pure ASGI middleware (does not buffer streaming answers such as SSE)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        host = _header(scope, b"host")
        policy = policy_for(path, host)
        download = scope["method"] in ("GET", "HEAD") and AUDIO_DOWNLOAD.match(path) is not None

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("content-security-policy", policy)
                headers.setdefault("x-content-type-options", "nosniff")
                headers.setdefault("x-frame-options", "DENY")
                headers.setdefault("referrer-policy", "no-referrer")
                if download and 200 <= message["status"] < 300:
                    headers["content-disposition"] = _attachment(path, headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _attachment(path: str, headers: MutableHeaders) -> str:
    """`attachment; filename="<id>.<ext>"`: the id from the path (ASCII letters, digits and
    dashes only), the extension from the answer's media type."""
    ident = re.sub(r"[^A-Za-z0-9-]", "", path.split("/")[-2])[:64] or "audio"
    media = headers.get("content-type", "").split(";")[0].strip()
    ext = _EXTENSIONS.get(media, "")
    return f'attachment; filename="{ident}{ext}"'


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key == name:
            return str(value.decode("latin-1"))
    return None
