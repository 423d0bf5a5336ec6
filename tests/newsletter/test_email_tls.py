"""STARTTLS, implicit TLS and login against a real SMTP server; the password never shows."""

from __future__ import annotations

import pytest

from support.mail import READERS, email_config

PASSWORD = "s3cret-passw0rd"


def _configure(project, url: str) -> None:
    project.write_config(email_config(url))
    project.run("subscribers", "add", READERS[0])


def test_starttls_and_login(project, start_smtp, trust):
    server = start_smtp(
        tls_context=trust.server_context(), require_starttls=True, login=True, auth_required=True
    )
    _configure(project, server.url("newsletter", PASSWORD))

    result = project.run("publish", "--story", "night-market", "--to", "newsletter")

    assert result.code == 0, result.err
    assert len(server.mailbox.to(READERS[0])) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_and_login(project, start_smtp, trust):
    server = start_smtp(
        "smtps",
        ssl_context=trust.server_context(),
        login=True,
        auth_required=True,
        auth_require_tls=False,  # aiosmtpd cannot tell that an smtps connection is encrypted
    )
    _configure(project, server.url("newsletter", PASSWORD))

    result = project.run("publish", "--story", "night-market", "--to", "newsletter")

    assert result.code == 0, result.err
    assert len(server.mailbox.to(READERS[0])) == 1


def test_check_logs_in_and_says_as_whom(project, start_smtp, trust):
    server = start_smtp(tls_context=trust.server_context(), login=True, auth_required=True)
    _configure(project, server.url("newsletter", PASSWORD))

    result = project.run("check")

    assert (
        f"ok newsletter (email): from Test News <news@example.org> via SMTP server "
        f"127.0.0.1:{server.port}, logged in as newsletter" in result.out
    )
    assert "1 active on list 'newsletter'" in result.out
    assert PASSWORD not in result.out + result.err
    assert server.mailbox.count() == 0


def test_a_refused_login_names_the_user_never_the_password(project, start_smtp, trust):
    server = start_smtp(tls_context=trust.server_context(), login=True, auth_required=True)
    _configure(project, server.url("newsletter", "wrong-password-here"))

    result = project.run("publish", "--story", "night-market", "--to", "newsletter")

    assert result.code == 1
    assert "refused the login for newsletter: 535" in result.out
    assert "wrong-password-here" not in result.out + result.err
    assert server.mailbox.count() == 0


def test_no_password_without_encryption(project, smtp_server):
    _configure(project, smtp_server.url("newsletter", PASSWORD))

    result = project.run("publish", "--story", "night-market", "--to", "newsletter")

    assert result.code == 1
    assert "does not offer STARTTLS; refusing to send the password unencrypted" in result.out
    assert PASSWORD not in result.out + result.err
    assert smtp_server.mailbox.count() == 0


def test_an_untrusted_certificate_stops_the_send(project, start_smtp, certificate):
    server = start_smtp(tls_context=certificate.server_context())
    _configure(project, server.url())

    result = project.run("publish", "--story", "night-market", "--to", "newsletter")

    assert result.code == 1
    assert "TLS with 127.0.0.1" in result.out and "CERTIFICATE_VERIFY_FAILED" in result.out
    assert server.mailbox.count() == 0


def test_a_malformed_smtp_url_is_a_configuration_error_that_hides_it(project):
    project.write_config(email_config(f"smtp://newsletter:{PASSWORD}@mail.example.org:port"))

    result = project.run("check")

    assert result.code == 2
    assert "destinations.newsletter.smtp: the SMTP URL has an invalid port" in (result.err)
    assert PASSWORD not in result.out + result.err
