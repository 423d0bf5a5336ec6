"""Template lookup: the user's folder first, then plugins' folders, then the defaults.

A user overrides one file (say `email/story.mjml`) by putting a file of the
same name in their own templates folder; everything else keeps coming from
the defaults.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2

from publisher import defaults


class Templates:
    """Jinja2 templates from several folders; HTML-like files are escaped automatically."""

    def __init__(self, folders: Iterable[Path]) -> None:
        self.folders = [*folders, defaults.templates_dir()]
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(folder) for folder in self.folders]),
            autoescape=jinja2.select_autoescape(["html", "mjml", "xml"], default=False),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )

    def render(self, name: str, **values: Any) -> str:
        return self.environment.get_template(name).render(**values)
