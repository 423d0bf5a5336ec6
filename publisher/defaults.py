"""Where the embedded defaults (configuration, templates, the plugin skeleton) are on this
installation.

They are the repository's top-level `config/` and `templates/`, and the example
plugin `examples/plugin-webhook/` (which `publisher plugin new` copies): a wheel
carries them inside the package, a source checkout has them beside it.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
# The channels the embedded defaults use, and the distribution that provides each.
CHANNEL_DISTRIBUTIONS = {
    "email": "publisher-email",
    "mastodon": "publisher-mastodon",
    "x": "publisher-x",
    "bluesky": "publisher-bluesky",
}


def _shipped(name: str) -> Path:
    inside = _PACKAGE / name
    return inside if inside.is_dir() else _PACKAGE.parent / name


def templates_dir() -> Path:
    return _shipped("templates")


def config_file() -> Path:
    return _shipped("config") / "publisher.toml"


def plugin_template_dir() -> Path:
    inside = _PACKAGE / "plugin_template"
    return inside if inside.is_dir() else _PACKAGE.parent / "examples" / "plugin-webhook"
