"""`/docs` (Swagger UI) and `/redoc` that work without internet, and the site's favicon (issue 15).

Why: FastAPI's own pages load Swagger UI and ReDoc from a CDN, so on an offline machine (a
clinic's network, a laptop demo) they are blank. The assets come from the `fastapi-offline`
wheel (Swagger UI and ReDoc bundles, kept current by its maintainer) and are served by us under
`/docs-assets`; Swagger UI is started by our own `web/static/swagger-init.js`, not an inline
script, so the docs' CSP (security_headers.DOCS_POLICY) allows scripts from 'self' only.

Login: `/api/v1/auth/login` takes JSON (e-mail and password), not the form an OAuth2 password
flow posts, so the OpenAPI scheme is HTTP bearer (deps._bearer): "Try it out" on the login
operation returns the token, and Swagger's "Authorize" button takes it for every other call.
"""

from __future__ import annotations

import html
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from vocalborn.web.routes import STATIC_DIR

ASSETS_URL = "/docs-assets"
ASSETS_DIR = Path(str(resources.files("fastapi_offline") / "static"))
FAVICON = "/favicon.ico"
SWAGGER_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title}</title>
  <link rel="icon" href="{root}{favicon}">
  <link rel="stylesheet" href="{root}{assets}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="{openapi}"></div>
  <script src="{root}{assets}/swagger-ui-bundle.js"></script>
  <script src="{root}/static/swagger-init.js"></script>
</body>
</html>
"""


def install_api_docs(app: FastAPI) -> None:
    """Serve `/docs`, `/redoc`, their assets and `/favicon.ico` (create the app with
    `docs_url=None, redoc_url=None` so FastAPI's CDN pages are not mounted)."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = html.escape(request.scope.get("root_path", ""))
        page = SWAGGER_PAGE.format(
            title=html.escape(f"{app.title} - Swagger UI"),
            root=root,
            assets=ASSETS_URL,
            favicon=FAVICON,
            openapi=f"{root}{html.escape(app.openapi_url or '/openapi.json')}",
        )
        return HTMLResponse(page)

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{FAVICON}",
            with_google_fonts=False,
        )

    @app.get(FAVICON, include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(STATIC_DIR / "favicon.ico", media_type="image/vnd.microsoft.icon")
