"""Email newsletter channel for Publisher: MJML templates, subscribers, SMTP delivery."""

from publisher import hookimpl
from publisher_email.channel import EmailChannel


@hookimpl
def publisher_register_channels(register):
    register(EmailChannel)
