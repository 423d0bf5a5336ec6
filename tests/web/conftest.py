"""Fixtures for the `publisher serve` tests: a newsletter whose links lead to its own pages,
served on 127.0.0.1, and a real SMTP server that receives its mail."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from support.mail import READERS, LoopbackController, Mailbox, email_config
from support.project import Project
from support.web import LiveServer

SIGNING_KEY = "test-signing-key-for-the-pages-0123456789"


@dataclass
class Site:
    """A project, its pages on `server`, and the mailbox of the SMTP server it sends to."""

    project: Project
    server: LiveServer
    mailbox: Mailbox
    smtp: str

    @property
    def url(self) -> str:
        return self.server.url

    def configure(self, extra: str = "", state: str | None = None) -> None:
        """(Re)write the configuration: the site at the server's URL, mail to the SMTP server,
        the state in `state` (a database URL) when given."""
        text = email_config(self.smtp, extra).replace("https://news.example.org", self.url)
        if state is not None:
            text = text.replace('timezone = "', f'state = "{state}"\ntimezone = "', 1)
        self.project.write_config(text)

    def start(self, plugins: list | None = None) -> Site:
        self.server.start(self.project.config, plugins)
        return self


@pytest.fixture(autouse=True)
def _signing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMAIL_SIGNING_KEY", SIGNING_KEY)


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, str]]:
    mailbox = Mailbox()
    controller = LoopbackController(mailbox)
    controller.start()
    yield mailbox, f"smtp://127.0.0.1:{controller.port}"
    controller.stop()


ARCHIVE_URL = 'archive_url = "{site}/archive/{edition}"'


@pytest.fixture
def site(project: Project, smtp) -> Iterator[Site]:
    """Configured (archive_url set), with READERS subscribed; not yet started."""
    mailbox, url = smtp
    server = LiveServer()
    built = Site(project, server, mailbox, url)
    built.configure(ARCHIVE_URL)
    for address in READERS:
        assert project.run("subscribers", "add", address).code == 0
    yield built
    server.stop()


@pytest.fixture
def live(site: Site) -> Site:
    return site.start()
