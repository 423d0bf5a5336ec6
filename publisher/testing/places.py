"""Where a channel under test renders and delivers: a state database, a destination, no network.

These build the same objects a real run builds, from the same code, in a
folder the test owns.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from publisher.channel import Channel, Destination
from publisher.config import SiteSettings
from publisher.migrate import plugin_histories
from publisher.plugins import load_plugins
from publisher.secrets import expand
from publisher.state import State
from publisher.templates import Templates


def temporary_state(folder: Path) -> State:
    """A SQLite state database in `folder`, upgraded now by the migrations of the core and of
    every installed plugin, as the first command of a real run upgrades it.

    >>> import pathlib, tempfile
    >>> temporary_state(pathlib.Path(tempfile.mkdtemp())).exists
    True
    """
    state = State(f"sqlite:///{folder / 'state.db'}", plugin_histories(load_plugins()))
    state.upgrade()
    return state


def make_destination(
    channel_class: type[Channel],
    settings: Mapping[str, Any],
    tmp_path: Path,
    name: str = "test",
    templates: Path | None = None,
    state: State | None = None,
) -> Destination:
    """A destination for `channel_class`, rooted in `tmp_path` (relative paths in settings are
    read from there), with `state` or a throw-away state database there.

    `${VAR}` in a setting reads the environment, as in `config/publisher.toml`.

    Example::

        def test_posts_to_the_endpoint(tmp_path, sample_story, recorder):
            settings = {"channel": "mine", "url": recorder.url}
            destination = make_destination(MyChannel, settings, tmp_path)
            parts = MyChannel().render(single(sample_story), destination).parts
    """
    return Destination(
        name=name,
        settings=channel_class.settings_model.model_validate(_expanded(dict(settings))),
        site=SiteSettings(name="Test News", url="https://news.example.org"),
        templates=Templates([templates] if templates else []),
        state=state
        or State(f"sqlite:///{tmp_path / 'state.db'}", plugin_histories(load_plugins())),
        root=tmp_path,
    )


def _expanded(value: Any) -> Any:
    if isinstance(value, str):
        return expand(value)
    if isinstance(value, dict):
        return {key: _expanded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_expanded(item) for item in value]
    return value


class NetworkUsed(ConnectionError):
    """Raised where code tried to reach the network while it was blocked: an OSError, as a
    machine without a network would raise, so the code's own error handling runs.

    >>> issubclass(NetworkUsed, OSError)
    True
    """


@contextmanager
def network_blocked() -> Iterator[list[str]]:
    """Refuse every connection and name lookup inside the block; yields the list of what was
    tried, so that a test sees an attempt even when the code under test swallowed the error.

    >>> import socket
    >>> with network_blocked() as tried:
    ...     try:
    ...         socket.create_connection(("127.0.0.1", 9))
    ...     except OSError:
    ...         pass
    >>> tried
    ["getaddrinfo ('127.0.0.1', 9)"]
    """
    tried: list[str] = []
    saved = (socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo)

    def refuse(what: str) -> Any:
        def refused(*args: Any, **kwargs: Any) -> Any:
            target = args[1] if what != "getaddrinfo" and len(args) > 1 else args[:2]
            tried.append(f"{what} {target!r}")
            raise NetworkUsed(f"{what} {target!r} while the network is blocked")

        return refused

    socket.socket.connect = refuse("connect")  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse("connect")  # type: ignore[method-assign]
    socket.getaddrinfo = refuse("getaddrinfo")
    try:
        yield tried
    finally:
        socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = saved  # type: ignore[method-assign]
