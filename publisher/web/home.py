"""The core's pages: the site's front page, the stylesheet, and `/healthz` for the proxy."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from publisher.errors import ConfigError
from publisher.web.site import Web


def home(request: Request, web: Web) -> Response:
    """The front page: the site's name, what it is, and a call to action for every page a
    plugin put in the navigation (Subscribe, Archive...)."""
    return web.page(request, "pages/home.html", status=200)


def healthz(web: Web) -> Response:
    """200 when the state database answers, 503 when it does not: for the proxy's checks."""
    try:
        with web.workspace.state.engine.connect() as db:
            db.execute(text("SELECT 1"))
    except (SQLAlchemyError, ConfigError, OSError):
        return PlainTextResponse("state database unavailable\n", status_code=503)
    return PlainTextResponse("ok\n")


def stylesheet(web: Web) -> Response:
    """The pages' one stylesheet (a template, so a project can override it)."""
    css = web.workspace.templates.render("pages/style.css")
    return Response(
        css,
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )
