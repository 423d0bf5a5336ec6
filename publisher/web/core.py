"""The core's own pages, registered through `publisher_register_routes` like any plugin's.

Imported by every command (it is a built-in plugin), so Starlette is loaded
only when `publisher serve` asks for the pages.
"""

from __future__ import annotations

from publisher.hookspecs import hookimpl


@hookimpl(tryfirst=True)  # the core's pages first: no plugin can take them over
def publisher_register_routes(register):
    from publisher.web import home

    register("/", home.home, name="home")
    register("/healthz", home.healthz, name="healthz")
    register("/style.css", home.stylesheet, name="stylesheet")
