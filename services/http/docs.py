"""The API docs (`/docs`, Swagger UI) served from an installed package's own assets, so they
work without internet and load nothing from another origin; there is no ReDoc page."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/static/docs"


def install_docs(app: FastAPI) -> None:
    """`GET /docs` and its assets: Swagger UI 5 as shipped by the `fastapi-offline` package
    (its `static/` folder), for an app created with `docs_url=None, redoc_url=None`."""
    app.mount(ASSETS, StaticFiles(packages=[("fastapi_offline", "static")]), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    title = f"{app.title} — API"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            # No call to the public schema validator.
            swagger_ui_parameters={"validatorUrl": None},
        )
