"""Email newsletter channel for Publisher: MJML templates, subscribers, SMTP delivery."""

from pathlib import Path

from publisher import hookimpl
from publisher_email.channel import EmailChannel


@hookimpl
def publisher_register_channels(register):
    register(EmailChannel)


@hookimpl
def publisher_register_commands(cli):
    # Imported here so that loading the channel (scheduler, tests) never loads the command line.
    from publisher_email.commands import subscribers

    cli.add_command(subscribers)


@hookimpl
def publisher_migrations():
    # Subscribers and recipients live in the state database; their schema moves by migration.
    return ("email", Path(__file__).with_name("migrations"))
