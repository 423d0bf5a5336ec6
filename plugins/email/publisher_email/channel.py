"""The email channel: one message per edition, sent to every active subscriber."""

from __future__ import annotations

from publisher import Channel, Destination, Edition, Rendition
from publisher_email.render import HTML_LIMIT, render_email
from publisher_email.settings import EmailSettings


class EmailChannel(Channel):
    name = "email"
    settings_model = EmailSettings

    def render(self, edition: Edition, destination: Destination) -> Rendition:
        message = render_email(edition, destination)
        warnings = ()
        if message.length > HTML_LIMIT:
            warnings = (
                f"the HTML is {message.length // 1000} KB; Gmail clips messages over "
                f"{HTML_LIMIT // 1000} KB (shorten the template or the digest)",
            )
        return Rendition((message,), warnings)
