"""The learner/therapist page: static files under `/static` and the page itself at `/`.

No build step: the files in `static/` are served as they are (ES modules, CSS). Nothing here
needs authentication; the API endpoints the page calls enforce it.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"
# The page changes with each release and is tiny: always revalidate it.
NO_CACHE = {"Cache-Control": "no-cache"}


def mount_web(app: FastAPI) -> None:
    """Serve the page at `/` and its files at `/static/...` (never shadows `/api` and co.)."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=NO_CACHE)
