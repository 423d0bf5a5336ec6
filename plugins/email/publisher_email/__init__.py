"""Email newsletter channel for Publisher: MJML templates, subscribers, SMTP delivery."""

from publisher import hookimpl
from publisher_email.channel import EmailChannel


@hookimpl
def publisher_register_channels(register):
    register(EmailChannel)


@hookimpl
def publisher_register_commands(cli):
    # Imported here so that loading the channel (scheduler, tests) never loads the command line.
    from publisher_email.commands import bounces, subscribers

    cli.add_command(subscribers)
    cli.add_command(bounces)


@hookimpl
def publisher_status(destinations):
    from publisher_email.bounce_status import status_lines

    return [line for d in destinations if d.channel == "email" for line in status_lines(d)]


@hookimpl
def publisher_fetch_bounces(destinations):
    from publisher_email.bounce_fetch import fetch_bounces

    return [
        f"{d.name}: {fetch_bounces(d).line()}"
        for d in destinations
        if d.channel == "email" and d.settings.bounce_mailbox is not None
    ]
