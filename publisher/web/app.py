"""The ASGI application: the registered pages, behind the headers and limits every page gets."""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from publisher.plugins import Plugins
from publisher.web.csrf import FIELD
from publisher.web.limits import MAX_BODY, BodyLimit
from publisher.web.routes import PageRoute, collect_routes
from publisher.web.security import SecurityHeaders
from publisher.web.site import Web

log = logging.getLogger("publisher.web")
MAX_FIELDS = 20

ERRORS = {
    400: ("Bad request", "The page could not understand what was sent."),
    403: ("Not allowed", "This request is not allowed."),
    404: ("Page not found", "There is no page at this address."),
    405: ("Not allowed", "This page cannot be used that way."),
    413: ("Too much data", "What was sent is larger than this site accepts."),
    429: ("Too many requests", "Please wait a few minutes and try again."),
    500: ("Something went wrong", "The page could not be shown. Please try again later."),
    503: ("Try again later", "This page cannot be answered just now. Please try again later."),
}


def create_app(workspace, plugins: Plugins, max_body: int = MAX_BODY) -> ASGIApp:
    """The pages every plugin registered, served for `workspace`.

    The headers and the access log wrap everything, Starlette's own answer to
    an unexpected error included.
    """
    routes = collect_routes(plugins)
    web = Web(workspace, routes)
    served = [
        (
            Route(route.path, _endpoint(route, web), methods=list(route.methods), name=route.name),
            route,
        )
        for route in routes
    ]
    own_limits = [
        (served_route, route.max_body) for served_route, route in served if route.max_body
    ]

    def limit_for(scope: Scope) -> int | None:
        """The body limit of the page asked for, when it set its own (webhooks do)."""
        for served_route, limit in own_limits:
            if served_route.matches(scope)[0] is Match.FULL:
                return limit
        return None

    def error_page(request: Request, error: Exception) -> Response:
        # An unexpected error is logged with its traceback by uvicorn; the reader sees a page.
        status = error.status_code if isinstance(error, HTTPException) else 500
        title, message = ERRORS.get(status, ERRORS[400])
        return web.error(request, status, title, message)

    app = Starlette(
        routes=[served_route for served_route, _ in served],
        middleware=[Middleware(BodyLimit, limit=max_body, limit_for=limit_for)],
        exception_handlers={HTTPException: error_page, Exception: error_page},
    )
    app.router.redirect_slashes = False  # no redirects at all: nothing to open
    return AccessLog(SecurityHeaders(app))


def _endpoint(route: PageRoute, web: Web) -> Callable:
    """Starlette's endpoint for a page: the form read and checked, then the plugin's function
    (in a worker thread unless it is a coroutine, as it may wait on the database or SMTP)."""
    wanted = set(inspect.signature(route.endpoint).parameters)
    is_async = inspect.iscoroutinefunction(route.endpoint)

    async def endpoint(request: Request) -> Response:
        if request.method == "POST":
            request.state.body = await request.body()
            request.state.form = _form(request, request.state.body)
            if route.csrf and not web.csrf.accepts(
                web.csrf_cookie(request), request.state.form.get(FIELD)
            ):
                return web.error(
                    request,
                    403,
                    "This form has expired",
                    "Reload the page and send the form again.",
                )
        offered = {"request": request, "web": web}
        arguments = {name: offered[name] for name in wanted}
        if is_async:
            return await route.endpoint(**arguments)
        return await run_in_threadpool(route.endpoint, **arguments)

    return endpoint


def _form(request: Request, body: bytes) -> dict[str, str]:
    """URL-encoded fields, first value of each; any other body is not a form of ours."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return {}
    try:
        pairs = parse_qsl(
            body.decode("utf-8", "replace"),
            keep_blank_values=True,
            max_num_fields=MAX_FIELDS,
        )
    except ValueError:
        raise HTTPException(400) from None
    form: dict[str, str] = {}
    for key, value in pairs:
        form.setdefault(key, value)
    return form


class AccessLog:
    """One line per request, at INFO (`-v`): method, path, status, time. Never the query
    string, where personal tokens ride."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status = 500

        async def noted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noted)
        finally:
            took = (time.monotonic() - started) * 1000
            log.info("%s %s %d %.0fms", scope["method"], scope["path"], status, took)
