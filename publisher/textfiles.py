"""Reading files that must be UTF-8 text (configuration, templates).

A byte that is not UTF-8 is named by file and line, so that the person who
saved the file in another encoding can find it; a wrong guess at the encoding
would quietly mangle the text instead.
"""

from __future__ import annotations

from pathlib import Path

from publisher.errors import ConfigError


def read_utf8(path: Path) -> str:
    """The file as text (a leading byte order mark dropped); ConfigError names a bad byte."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}:{line}: byte 0x{data[error.start]:02x} is not valid UTF-8; "
            "save the file as UTF-8"
        ) from None
