"""Interactive API documentation at ``/docs``, served offline.

Swagger UI comes from the npm package ``swagger-ui-dist`` under ``/static/npm/`` (no CDN:
the offices it serves may have no internet, and no page here loads from another host).
Its start-up script is inline; the page's Content-Security-Policy allows it by hash
(:func:`api._util.page_response`), like every other page. ReDoc stays off: it would need
another bundle for the same description.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html

from .._util import page_response

router = APIRouter(include_in_schema=False)

SWAGGER: Final = "/static/npm/swagger-ui-dist"
"""Where the Swagger UI files are served (:func:`maps.resolve`)."""


@router.get("/docs")
def docs(request: Request) -> Response:
    """Swagger UI for ``/openapi.json``, from local files only."""
    html = get_swagger_ui_html(
        openapi_url=request.app.openapi_url or "/openapi.json",
        title="SIAP Wisata API – dokumentasi",
        swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
        swagger_ui_parameters={"docExpansion": "list", "defaultModelsExpandDepth": 0,
                               "validatorUrl": None},
    )
    return page_response(bytes(html.body).decode("utf-8").replace('<html>', '<html lang="id">'))
