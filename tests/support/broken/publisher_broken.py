"""A plugin whose import fails, to show that it cannot take the others down."""

import a_module_that_is_not_installed  # noqa: F401
