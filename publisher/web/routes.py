"""The pages plugins add: `publisher_register_routes(register)`, with checks on what is given.

Like channels, each page is recorded with the plugin that registered it; a
plugin whose registration fails is reported by `publisher plugins` and
skipped, and the others' pages are served.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from publisher.plugins import BrokenPlugin, Plugins, by_plugin

HOOK = "publisher_register_routes"
METHODS = frozenset({"GET", "POST"})
PARAMETERS = frozenset({"request", "web"})  # what an endpoint may ask for, by name
MAX_BODY_CEILING = 10 * 1024 * 1024  # the most any page may accept, so memory stays bounded
_PATH = re.compile(r"/([A-Za-z0-9._~-]+|\{[a-z_]+\})?(/([A-Za-z0-9._~-]+|\{[a-z_]+\}))*")


@dataclass(frozen=True)
class PageRoute:
    """One registered page: where it answers, what answers it, and who registered it.

    `title` puts the page in the site's navigation; `csrf` (POST only) asks the
    core to refuse a form without the page's CSRF token; `max_body` (bytes) raises
    the site's body limit for this page alone, for senders such as webhooks.
    """

    path: str
    endpoint: Callable
    methods: tuple[str, ...]
    name: str
    title: str | None
    csrf: bool
    owner: str
    max_body: int | None = None


def collect_routes(plugins: Plugins) -> list[PageRoute]:
    """Every page plugins register, in the order pluggy calls them."""
    routes: list[PageRoute] = []
    for owner, call in by_plugin(plugins, HOOK):
        mine: list[PageRoute] = []

        def register(
            path: str,
            endpoint: Callable,
            *,
            methods: Sequence[str] = ("GET",),
            name: str | None = None,
            title: str | None = None,
            csrf: bool = True,
            max_body: int | None = None,
            owner: str = owner,
            mine: list[PageRoute] = mine,
        ) -> None:
            route = _checked(path, endpoint, methods, name, title, csrf, max_body, owner)
            for other in [*routes, *mine]:
                if other.name == route.name:
                    raise ValueError(f"page name '{route.name}' is already taken by {other.owner}")
                if other.path == route.path and set(other.methods) & set(route.methods):
                    raise ValueError(f"{route.path} is already served by {other.owner}")
            mine.append(route)

        try:
            call(register=register)
        except Exception as error:  # a plugin's bad page must not take the others down
            version = plugins.versions.pop(owner, "unknown")
            plugins.broken.append(BrokenPlugin(owner, version, f"{type(error).__name__}: {error}"))
            plugins.manager.unregister(name=owner)
            continue
        routes.extend(mine)
    return routes


def _checked(
    path: object,
    endpoint: object,
    methods: Sequence[str],
    name: str | None,
    title: str | None,
    csrf: bool,
    max_body: object,
    owner: str,
) -> PageRoute:
    if not isinstance(path, str) or not _PATH.fullmatch(path):
        raise ValueError(f"register(): {path!r} is not a path such as /archive/{{edition}}")
    if not callable(endpoint):
        raise TypeError(f"register(): the endpoint of {path} is not callable: {endpoint!r}")
    wanted = set(inspect.signature(endpoint).parameters)
    unknown = wanted - PARAMETERS
    if unknown:
        raise TypeError(
            f"register(): the endpoint of {path} asks for {', '.join(sorted(unknown))}; "
            f"endpoints may take {', '.join(sorted(PARAMETERS))}"
        )
    chosen = tuple(method.upper() for method in methods)
    if not chosen or not set(chosen) <= METHODS:
        raise ValueError(f"register(): {path} methods must be GET and/or POST, not {methods!r}")
    if max_body is not None and (
        isinstance(max_body, bool)
        or not isinstance(max_body, int)
        or not 0 < max_body <= MAX_BODY_CEILING
    ):
        raise ValueError(
            f"register(): max_body of {path} must be a number of bytes from 1 to "
            f"{MAX_BODY_CEILING}, not {max_body!r}"
        )
    return PageRoute(
        path=path,
        endpoint=endpoint,
        methods=chosen,
        name=name or (path if chosen == ("GET",) else f"{path} {' '.join(chosen)}"),
        title=title,
        csrf=csrf and "POST" in chosen,
        owner=owner,
        max_body=max_body,
    )
