"""Email newsletter channel for Publisher: MJML templates, subscribers, SMTP delivery,
and the pages behind its links (`publisher serve`)."""

from publisher import hookimpl


@hookimpl
def publisher_register_channels(register):
    # Imported when channels are collected, not when the plugin loads (`publisher --help`).
    from publisher_email.channel import EmailChannel

    register(EmailChannel)


@hookimpl
def publisher_register_commands(cli):
    # Imported here so that loading the channel (scheduler, tests) never loads the command line.
    from publisher_email.commands import bounces, subscribers

    cli.add_command(subscribers)
    cli.add_command(bounces)


@hookimpl
def publisher_register_routes(register):
    # Imported here: Starlette loads only when `publisher serve` asks for the pages.
    from publisher_email import archive_pages, pages, signup_pages, webhook_pages

    register("/subscribe", signup_pages.form, name="subscribe", title="Subscribe")
    register("/subscribe", signup_pages.send, methods=["POST"], name="subscribe-send")
    register("/confirm", signup_pages.confirm_page, name="confirm")
    register("/confirm", signup_pages.confirm, methods=["POST"], name="confirm-send")
    register("/unsubscribe", pages.unsubscribe_page, name="unsubscribe")
    # RFC 8058: mailbox providers POST with neither cookie nor CSRF token; the signed
    # token in the link is what authorises the change (and the way back).
    register(
        "/unsubscribe", pages.unsubscribe, methods=["POST"], name="unsubscribe-send", csrf=False
    )
    register("/resubscribe", pages.resubscribe, methods=["POST"], name="resubscribe", csrf=False)
    register("/archive", archive_pages.index, name="archive", title="Archive")
    register("/archive/{edition}", archive_pages.edition, name="edition")
    register("/feed.atom", archive_pages.feed, name="feed")
    # Bounces and complaints from SES, Mailgun and Postmark: their signatures authorise them.
    webhook_pages.register_webhooks(register)


@hookimpl
def publisher_serve_check(destinations):
    """Every link of a list that sends through SMTP is signed with its key: without one, each
    unsubscribe and confirmation would be answered "not valid"; and a list on the sign-up
    form needs a usable `smtp` (and DKIM key) to mail confirmations. Else `serve` does not
    start."""
    from publisher_email.confirmation import sending_problems
    from publisher_email.links import key_problems

    return key_problems(destinations) + sending_problems(destinations)


@hookimpl
def publisher_published(edition, destination, receipt):
    """A finished email delivery: its edition joins the archive."""
    if destination.channel == "email":
        from publisher_email.archive import Archive
        from publisher_email.render import list_name

        Archive(destination.state.engine).published(list_name(destination), edition.id)


@hookimpl
def publisher_migrations():
    # Subscribers and recipients live in the state database; their schema moves by migration.
    from pathlib import Path

    return ("email", Path(__file__).with_name("migrations"))


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
