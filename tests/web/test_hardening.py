"""What every page answers with: security headers, size limits, no redirects, plain errors."""

from __future__ import annotations

import http.client

import pytest

from publisher import hookimpl

PAGES = ["/", "/subscribe", "/archive", "/feed.atom", "/style.css", "/healthz", "/nowhere"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_carries_the_security_headers(live, path):
    with live.server.client() as browser:
        answer = browser.get(path)
    headers = answer.headers
    policy = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src" not in policy, "default-src 'none': no script at all"
    assert "default-src 'none'" in policy
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "server" not in headers


def test_healthz_answers_for_the_proxy(live):
    with live.server.client() as proxy:
        answer = proxy.get("/healthz")
    assert (answer.status_code, answer.text) == (200, "ok\n")


def test_a_body_over_the_limit_is_refused(live):
    with live.server.client() as browser:
        page = browser.get("/subscribe")
        token = page.cookies.get("publisher_csrf")
        large = browser.post("/subscribe", data={"csrf_token": token, "email": "a" * 70_000})
    assert large.status_code == 413
    assert "Too much data" in large.text


def test_a_declared_length_over_the_limit_is_refused_before_reading(live):
    host, port = live.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.putrequest("POST", "/unsubscribe?token=x")
    connection.putheader("Content-Type", "application/x-www-form-urlencoded")
    connection.putheader("Content-Length", str(10 * 1024 * 1024))
    connection.endheaders()
    answer = connection.getresponse()
    assert answer.status == 413
    connection.close()


@pytest.mark.parametrize(
    "path",
    [
        "//evil.example/",
        "/archive/",
        "/subscribe/",
        "/subscribe?next=https://evil.example/",
        "/unsubscribe?token=x&redirect=https://evil.example/",
        "/confirm?token=x&return_to=//evil.example",
        "/%2F%2Fevil.example",
    ],
)
def test_nothing_redirects_anywhere(live, path):
    with live.server.client() as browser:
        for answer in (browser.get(path), browser.post(path, data={"a": "b"})):
            assert answer.status_code < 300 or answer.status_code >= 400
            assert "location" not in answer.headers


def test_a_failing_page_shows_a_plain_error_never_a_traceback(site):
    class Broken:
        @hookimpl
        def publisher_register_routes(self, register):
            def explode():
                raise RuntimeError("secret internals at /srv/app.py line 12")

            register("/explode", explode)

    site.start(plugins=[Broken()])
    with site.server.client() as browser:
        answer = browser.get("/explode")
    assert answer.status_code == 500
    assert "Something went wrong" in answer.text
    assert "secret internals" not in answer.text and "Traceback" not in answer.text
    assert answer.headers["x-frame-options"] == "DENY"


def test_a_form_that_is_not_url_encoded_is_not_a_form_of_ours(live):
    with live.server.client() as browser:
        browser.get("/subscribe")
        answer = browser.post("/subscribe", files={"email": ("a.txt", b"ada@example.net")})
    assert answer.status_code == 403
    assert live.mailbox.count() == 0


def _form_token(page) -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_over_https_the_csrf_cookie_is_host_prefixed_and_secure(live):
    """Behind a trusted proxy that says the browser came over HTTPS."""
    https = {"X-Forwarded-Proto": "https"}
    with live.server.client() as browser:
        page = browser.get("/subscribe", headers=https)
        cookie = page.headers["set-cookie"]
        assert cookie.startswith("__Host-publisher_csrf=")
        assert "Secure" in cookie and "Path=/;" in cookie + ";" and "Domain" not in cookie
        token = _form_token(page)
        fields = {"csrf_token": token, "email": "ada@example.net"}

        # The same token in a cookie without the prefix, as a sibling domain could plant it.
        planted = browser.post(
            "/subscribe", data=fields, headers={**https, "Cookie": f"publisher_csrf={token}"}
        )
        sent = browser.post(
            "/subscribe",
            data=fields,
            headers={**https, "Cookie": f"__Host-publisher_csrf={token}"},
        )

    assert planted.status_code == 403 and "This form has expired" in planted.text
    assert sent.status_code == 200 and "Check your inbox" in sent.text


def test_an_https_site_url_makes_the_cookie_secure_for_its_own_host(site):
    """A proxy that does not pass the scheme on: the site's https:// url says it."""
    site.project.write_config(
        site.project.config.read_text().replace(site.url, site.url.replace("http:", "https:"))
    )
    site.start()
    with site.server.client() as browser:
        own = browser.get("/subscribe").headers["set-cookie"]
        other = browser.get("/subscribe", headers={"Host": "localhost"}).headers["set-cookie"]
    assert own.startswith("__Host-publisher_csrf=") and "Secure" in own
    assert other.startswith("publisher_csrf=") and "Secure" not in other


def test_a_csrf_cookie_that_is_not_ascii_is_a_clean_refusal(live):
    header = "publisher_csrf=abc.é".encode()
    with live.server.client() as browser:
        page = browser.get("/subscribe", headers={"Cookie": header})
        sent = browser.post(
            "/subscribe",
            data={"csrf_token": "abc.é", "email": "ada@example.net"},
            headers={"Cookie": header},
        )
    assert page.status_code == 200 and "<form" in page.text
    assert sent.status_code == 403 and "This form has expired" in sent.text
    assert live.mailbox.to("ada@example.net") == []


def test_a_form_token_that_is_not_ascii_is_a_clean_refusal(live):
    with live.server.client() as browser:
        page = browser.get("/subscribe")
        token = _form_token(page)
        sent = browser.post(
            "/subscribe",
            data={"csrf_token": token[:-1] + "é", "email": "ada@example.net"},
            headers={"Cookie": f"publisher_csrf={token}"},
        )
    assert sent.status_code == 403 and "This form has expired" in sent.text
    assert live.mailbox.to("ada@example.net") == []
