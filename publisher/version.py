"""The installed version of Publisher, for `publisher --version` and `publisher plugins`.

A module of its own, so that the plugin manager need not import the public
API's package (which imports nearly everything) to learn it.
"""

from importlib.metadata import PackageNotFoundError, version


def _installed() -> str:
    try:
        return version("publisher")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"


__version__ = _installed()
"""The version of the installed `publisher` distribution, as `publisher --version` says it.

>>> __version__.count(".") >= 2
True
"""
