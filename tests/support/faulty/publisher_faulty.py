"""A plugin that imports fine but fails when asked for its commands and templates."""

from publisher import hookimpl


@hookimpl
def publisher_register_commands(cli):
    raise RuntimeError("commands are broken")


@hookimpl
def publisher_template_dirs():
    raise RuntimeError("templates are broken")
