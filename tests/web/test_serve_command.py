"""`publisher serve` as an operator runs it: the real command, curl, a reverse proxy's headers."""

from __future__ import annotations

import re
import shutil
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
