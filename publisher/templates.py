"""Template lookup: the user's folder first, then plugins' folders, then the defaults.

A user overrides one file (say `email/story.mjml`) by putting a file of the
same name in their own templates folder; everything else keeps coming from
the defaults. A template that cannot be used (bad syntax, an unknown filter, a
missing include, an undefined variable, bytes that are not UTF-8) is a
ConfigError naming the template file and line, raised while rendering, which
happens before anything is sent.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import jinja2
from jinja2.loaders import split_template_path

from publisher import defaults
from publisher.errors import ConfigError
from publisher.textfiles import read_utf8


def _find(folders: Sequence[str], name: str) -> Path:
    """The file `name` is read from: the first folder that has it, as Jinja2 looks."""
    pieces = split_template_path(name)
    for folder in folders:
        path = Path(folder, *pieces)
        if path.is_file():
            return path
    raise jinja2.TemplateNotFound(name)


class _Loader(jinja2.FileSystemLoader):
    """Jinja2's file loader, except that a file that is not UTF-8 is named by file and line."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        path = _find(self.searchpath, template)
        modified = path.stat().st_mtime

        def uptodate() -> bool:
            try:
                return path.stat().st_mtime == modified
            except OSError:
                return False

        return read_utf8(path), str(path), uptodate


class Templates:
    """Jinja2 templates from several folders; HTML-like files are escaped automatically."""

    def __init__(self, folders: Iterable[Path]) -> None:
        self.folders = [*folders, defaults.templates_dir()]
        self.environment = jinja2.Environment(
            loader=_Loader([str(folder) for folder in self.folders]),
            autoescape=jinja2.select_autoescape(["html", "mjml", "xml"], default=False),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )

    def render(self, name: str | Sequence[str], **values: Any) -> str:
        """The template filled in; ConfigError says which file and line went wrong, and why.

        Given several names, the first that exists is used.
        """
        names = [name] if isinstance(name, str) else list(name)
        try:
            return self.environment.select_template(names).render(**values)
        except ConfigError:
            raise
        except Exception as error:  # a template is the user's code: any failure in it is theirs
            raise ConfigError(f"{_where(error, names[-1])}: {self._reason(error)}") from None

    def problems(self) -> list[str]:
        """`file:line: reason` for every template file that cannot even be read (bad syntax,
        bytes that are not UTF-8), in every folder: templates no sample render reaches (the
        pages of `publisher serve`, say) are checked too."""
        found = []
        for name in self.environment.list_templates():
            try:
                self.environment.get_template(name)
            except Exception as error:  # a template is the user's code: any failure is theirs
                found.append(f"{_where(error, self.filename(name))}: {self._reason(error)}")
        return found

    def filename(self, name: str) -> str:
        """The file a template name is read from, for messages about what it produced."""
        try:
            return str(_find([str(folder) for folder in self.folders], name))
        except jinja2.TemplateNotFound:
            return name

    def _reason(self, error: Exception) -> str:
        if isinstance(error, jinja2.TemplatesNotFound):
            folders = ", ".join(str(folder) for folder in self.folders)
            return f"none of the templates {error.templates} found (looked in {folders})"
        if isinstance(error, jinja2.TemplateNotFound):
            folders = ", ".join(str(folder) for folder in self.folders)
            return f"template '{error.name}' not found (looked in {folders})"
        if isinstance(error, RecursionError):
            return "the template includes itself, directly or through others"
        if isinstance(error, jinja2.TemplateError) and error.message:
            return " ".join(error.message.split())
        return " ".join(f"{type(error).__name__}: {error}".split())


def _where(error: Exception, name: str) -> str:
    """`file:line` of the template at fault: a syntax error's own, else the innermost
    template in the traceback (Jinja2 rewrites its frames to template files and lines)."""
    if isinstance(error, jinja2.TemplateSyntaxError) and error.filename:
        return f"{error.filename}:{error.lineno}"
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not frame.filename.endswith(".py") and not frame.filename.startswith("<")
    ]
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else name
