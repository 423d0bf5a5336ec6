"""Email newsletter channel for Publisher: MJML templates, subscribers, SMTP delivery."""

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
