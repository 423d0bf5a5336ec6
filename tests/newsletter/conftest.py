"""Fixtures for the email channel's tests (tests/newsletter: a folder named `email` would shadow
the standard library's package): real SMTP servers on 127.0.0.1, TLS, an email project.

Every server a test starts runs on its own free port and is stopped when the
test ends.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator

import pytest

from support.imap import Dovecot, start_dovecot
from support.mail import (
    READERS,
    SIGNING_KEY,
    Certificate,
    LoopbackController,
    Mailbox,
    SmtpServer,
    email_config,
)


@pytest.fixture
def start_smtp() -> Iterator[Callable[..., SmtpServer]]:
    """Start servers (with aiosmtpd's TLS options; `login` asks for AUTH); all stop after."""
    controllers: list[LoopbackController] = []

    def start(scheme: str = "smtp", login: bool = False, **options) -> SmtpServer:
        mailbox = Mailbox()
        if login:
            options["authenticator"] = mailbox.authenticate
        controller = LoopbackController(mailbox, **options)
        controller.start()
        controllers.append(controller)
        return SmtpServer(mailbox, controller.port, scheme)

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp_server(start_smtp) -> SmtpServer:
    return start_smtp()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
        ],
        check=True,
        capture_output=True,
    )
    return Certificate(cert, key)


@pytest.fixture
def trust(certificate: Certificate, monkeypatch: pytest.MonkeyPatch) -> Certificate:
    """Make the test certificate the one the client trusts (as an operator's CA bundle)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))
    return certificate


@pytest.fixture
def newsletter(project, smtp_server: SmtpServer):
    """The `project` with an email destination sending to `smtp_server`, and three readers."""
    project.write_config(email_config(smtp_server.url()))
    for address in READERS:
        assert project.run("subscribers", "add", address).code == 0
    return project


@pytest.fixture(autouse=True)
def _signing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests' own signing key, which any SMTP server needs (tests of the demo key remove
    it); the developer's own never leaks in."""
    monkeypatch.setenv("EMAIL_SIGNING_KEY", SIGNING_KEY)


@pytest.fixture
def dovecot(certificate: Certificate, trust: Certificate) -> Iterator[Dovecot]:
    """Debian's Dovecot on 127.0.0.1 with one throw-away Maildir user; skipped, saying why,
    where it is not installed or does not start."""
    try:
        server = start_dovecot(certificate)
    except RuntimeError as error:
        pytest.skip(str(error))
    yield server
    server.stop()
