"""`publisher serve` as an operator runs it: the real command, curl, a reverse proxy's headers."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess

import httpx
import pytest

from support.mail import READERS
from support.web import free_port, spawn_serve, stop


def _configure(site, port: int) -> str:
    url = f"http://127.0.0.1:{port}"
    site.server.url = url  # the site's links lead to the process started below
    site.configure()
    return url


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_one_click_against_publisher_serve_unsubscribes_the_address_in_the_link(site):
    port = free_port()
    _configure(site, port)
    result = site.project.run("publish", "--story", "night-market", "--to", "newsletter")
    assert result.code == 0, result.err
    [message] = site.mailbox.to(READERS[2])
    link = re.search(r"<(http[^>]+)>", message["List-Unsubscribe"]).group(1)
    server = spawn_serve(site.project, port)
    try:
        curl = subprocess.run(
            [
                "curl",
                "-sS",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "-d",
                "List-Unsubscribe=One-Click",
                link,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        _, err = stop(server)
    assert curl.stdout == "200", curl.stderr
    listed = site.project.run("subscribers", "list").out
    assert re.search(rf"^{re.escape(READERS[2])}\s+unsubscribed", listed, re.M)
    assert re.search(rf"^{re.escape(READERS[1])}\s+active", listed, re.M)
    assert "Traceback" not in err


@pytest.mark.slow
def test_behind_a_proxy_links_keep_the_root_path_and_consent_the_reader_s_address(site):
    port = free_port()
    url = _configure(site, port)
    server = spawn_serve(
        site.project, port, "--root-path", "/newsletter", "--forwarded-allow-ips", "127.0.0.1"
    )
    try:
        # As the proxy passes them on: the prefix taken off, the reader's address added.
        with httpx.Client(base_url=url, headers={"X-Forwarded-For": "198.51.100.7"}) as proxy:
            page = proxy.get("/subscribe")
            assert 'action="/newsletter/subscribe"' in page.text
            assert 'href="/newsletter/style.css"' in page.text
            assert "Path=/newsletter" in page.headers["set-cookie"]
            cookie = {"Cookie": f"publisher_csrf={page.cookies['publisher_csrf']}"}
            token = page.cookies["publisher_csrf"]
            sent = proxy.post(
                "/subscribe",
                data={"csrf_token": token, "email": "proxied@example.net", "page": "/subscribe"},
                headers=cookie,
            )
            assert sent.status_code == 200
            [mail] = site.mailbox.to("proxied@example.net")
            link = re.search(r"/confirm\?token=(\S+)", mail.get_body(("plain",)).get_content())
            confirmed = proxy.post(
                "/confirm", data={"csrf_token": token, "token": link.group(1)}, headers=cookie
            )
            assert confirmed.status_code == 200
            feed = proxy.get("/feed.atom", headers={"Host": "evil.example"})
            assert f'href="{url}/newsletter/feed.atom"' in feed.text
            assert "evil.example" not in feed.text
    finally:
        stop(server)
    shown = site.project.run("subscribers", "show", "proxied@example.net").out
    assert re.search(r"confirmed on /newsletter/confirm from 198\.51\.100\.7$", shown, re.M)


def test_a_bad_root_path_is_refused_in_one_line(project):
    result = project.run("serve", "--root-path", "newsletter/")
    assert result.code == 2
    assert result.err.strip() == (
        "error: --root-path: 'newsletter/' must start with / and not end with one"
    )


KEY_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def test_serve_refuses_an_smtp_list_without_a_signing_key_as_publish_does(site, monkeypatch):
    monkeypatch.delenv("EMAIL_SIGNING_KEY")

    served = site.project.run("serve", "--port", str(free_port()))
    published = site.project.run("publish", "--story", "night-market", "--to", "newsletter")

    assert served.code == 2
    assert "Serving" not in served.out
    [line] = served.err.splitlines()
    assert line.startswith("error: newsletter: EMAIL_SIGNING_KEY is not set;")
    assert KEY_HINT in line
    assert line in published.err.splitlines(), "the same words as publish"


@pytest.mark.slow
def test_serve_starts_for_an_outbox_with_the_demo_key(project, monkeypatch):
    from support.mail import email_config

    monkeypatch.delenv("EMAIL_SIGNING_KEY")
    project.write_config(email_config("outbox:outbox"))
    port = free_port()
    server = spawn_serve(project, port)
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}/subscribe", timeout=10)
    finally:
        out, _ = stop(server)
    assert answer.status_code == 200
    assert out.startswith(f"Serving Test News on http://127.0.0.1:{port}/\n")


def test_a_busy_port_is_one_line_before_serving_is_said(site):
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = site.project.run("serve", "--port", str(port))

    assert result.code == 2
    assert result.out == ""
    assert result.err == (
        f"error: --host/--port: cannot listen on 127.0.0.1:{port}: Address already in use "
        "(choose another --port, or stop what uses it)\n"
    )


def test_serve_refuses_a_sign_up_list_whose_smtp_setting_is_unset(project, monkeypatch):
    from support.mail import email_config

    monkeypatch.delenv("SMTP_URL", raising=False)
    project.write_config(email_config("${SMTP_URL}"))

    served = project.run("serve", "--port", str(free_port()))

    assert served.code == 2
    assert "Serving" not in served.out
    assert served.err == "error: newsletter.smtp: environment variable SMTP_URL is not set\n"


def test_serve_refuses_a_sign_up_list_whose_dkim_key_cannot_be_read(site, monkeypatch):
    monkeypatch.setenv("DKIM_KEY", "missing.pem")
    site.configure(
        'dkim_selector = "news2026"\ndkim_domain = "example.org"\n'
        'dkim_private_key = "${DKIM_KEY}"\n'
    )

    served = site.project.run("serve", "--port", str(free_port()))

    assert served.code == 2
    assert "Serving" not in served.out
    [line] = served.err.splitlines()
    assert line.startswith("error: newsletter.dkim_private_key: ")
