"""The installed version of Publisher, for `publisher --version` and `publisher plugins`.

A module of its own, so that the plugin manager need not import the public
API's package (which imports nearly everything) to learn it.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("publisher")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
