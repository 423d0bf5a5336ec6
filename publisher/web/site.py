"""What an endpoint gets as `web`: the workspace, pages in the site's layout, forms, limits.

Plugins' endpoints receive it by naming a parameter `web`; it keeps them free
of the details every page shares (the layout, the CSRF token, the root path a
reverse proxy adds, the client's address behind that proxy).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse

from publisher.web.csrf import FIELD, CsrfTokens, cookie_name
from publisher.web.limits import RateLimiter
from publisher.web.routes import PageRoute

if TYPE_CHECKING:
    from publisher.workspace import Workspace


class Web:
    def __init__(
        self,
        workspace: Workspace,
        routes: list[PageRoute],
        csrf: CsrfTokens | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.workspace = workspace
        self.routes = {route.name: route for route in routes}
        self.csrf = csrf or CsrfTokens()
        self.limiter = limiter or RateLimiter()

    # Addresses ------------------------------------------------------------------------

    def url(self, request: Request, name: str, query: Mapping[str, str] | None = None, **params):
        """The path of page `name` as the browser reaches it (behind the proxy's root path).

        Only paths: links never take their host from a request's Host header.
        """
        path = self.routes[name].path
        for key, value in params.items():
            path = path.replace(f"{{{key}}}", quote(str(value), safe=""))
        suffix = f"?{urlencode(query)}" if query else ""
        return request.scope.get("root_path", "").rstrip("/") + path + suffix

    def absolute(self, request: Request, path: str) -> str:
        """`path` (from `url`, so behind the root path) as a whole URL, for feeds: the
        scheme and host are the site's configured `url`, never the request's Host header,
        which anyone can set (and a cached feed would hand on)."""
        site = urlsplit(str(self.workspace.config.site.url))
        return f"{site.scheme}://{site.netloc}{path}"

    def _secure(self, request: Request) -> bool:
        """Whether the browser reached the page over HTTPS: the request's scheme (a trusted
        proxy's X-Forwarded-Proto), or an https:// site `url` for a request to the site's
        own host (a proxy that does not pass the scheme on)."""
        if request.url.scheme == "https":
            return True
        site = urlsplit(str(self.workspace.config.site.url))
        return site.scheme == "https" and request.url.hostname == site.hostname

    def csrf_cookie(self, request: Request) -> str | None:
        """The CSRF token this browser's cookie holds (`__Host-` prefixed over HTTPS)."""
        return request.cookies.get(cookie_name(self._secure(request)))

    def client(self, request: Request) -> str | None:
        """The reader's address (the proxy's X-Forwarded-For, when the proxy is trusted)."""
        return request.client.host if request.client else None

    # Requests -------------------------------------------------------------------------

    def form(self, request: Request) -> Mapping[str, str]:
        """The POSTed form fields (first value of each), read and size-checked by the core."""
        return getattr(request.state, "form", {})

    def body(self, request: Request) -> bytes:
        """The POSTed body as it was sent (within the page's size limit): what a webhook's
        signature covers."""
        return getattr(request.state, "body", b"")

    def allow(self, bucket: str, key: str, limit: int, per: float) -> bool:
        """Count a request against `limit` per `per` seconds for (bucket, key)."""
        return self.limiter.allow(bucket, key, limit, per)

    # Answers --------------------------------------------------------------------------

    def page(
        self,
        request: Request,
        template: str,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        **values: Any,
    ) -> HTMLResponse:
        """A template from `pages/`, in the site's layout, with a CSRF token for its forms."""
        cookie = self.csrf_cookie(request)
        token = _Token(cookie if self.csrf.valid(cookie) else None, self.csrf)
        body = self.workspace.templates.render(
            template,
            site=self.workspace.config.site,
            nav=[
                (route.title, self.url(request, route.name))
                for route in self.routes.values()
                if route.title
            ],
            url=lambda name, query=None, **params: self.url(request, name, query, **params),
            csrf_field=FIELD,
            csrf_token=token,
            **values,
        )
        response = HTMLResponse(body, status_code=status, headers=dict(headers or {}))
        # Only a page with a form gets a cookie, and never the answer to a POST (RFC 8058).
        if token.issued and request.method in ("GET", "HEAD"):
            secure = self._secure(request)
            response.set_cookie(
                cookie_name(secure),
                str(token),
                # A __Host- cookie must have Path=/ (browsers refuse it otherwise).
                path="/" if secure else request.scope.get("root_path", "").rstrip("/") or "/",
                httponly=True,
                samesite="strict",
                secure=secure,
            )
        return response

    def error(
        self, request: Request, status: int, title: str, message: str, **headers: str
    ) -> HTMLResponse:
        """A plain page that says what went wrong and what to do; never a traceback."""
        return self.page(request, "pages/error.html", status, headers, title=title, message=message)


class _Token:
    """The page's CSRF token, made the first time a template prints it."""

    def __init__(self, value: str | None, csrf: CsrfTokens) -> None:
        self.value = value
        self.issued = False
        self._csrf = csrf

    def __str__(self) -> str:
        if self.value is None:
            self.value = self._csrf.issue()
            self.issued = True
        return self.value

    def __html__(self) -> str:
        return str(self)
