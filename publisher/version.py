"""The installed version of Publisher, for `publisher --version` and `publisher plugins`.

A module of its own, so that the plugin manager need not import the public
API's package (which imports nearly everything) to learn it.
"""

from publisher.distributions import version

# Running from a source tree that was never installed, there is no version to read.
__version__ = version("publisher") or "0.0.0"
"""The version of the installed `publisher` distribution, as `publisher --version` says it.

>>> __version__.count(".") >= 2
True
"""
