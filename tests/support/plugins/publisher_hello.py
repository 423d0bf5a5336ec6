"""A test plugin that adds a command, as the email plugin adds `publisher subscribers`."""

import click

from publisher import hookimpl, pass_workspace


@click.command()
@click.argument("name", default="editor")
@pass_workspace
def hello(workspace, name: str) -> None:
    """Greet NAME from the configured site."""
    click.echo(f"Hello {name}, from {workspace.config.site.name}.")


@hookimpl
def publisher_register_commands(cli):
    cli.add_command(hello)
