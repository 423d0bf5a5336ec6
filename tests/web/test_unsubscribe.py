"""The unsubscribe link of a real email, answered by `publisher serve` over HTTP."""

from __future__ import annotations

import base64
import http.client
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from support.mail import READERS
from support.web import forms, link_in, submit

INVALID = "This link is not valid"


def _publish(site) -> None:
    result = site.project.run("publish", "--story", "night-market", "--to", "newsletter")
    assert result.code == 0, result.out + result.err


def _unsubscribe_link(site, address: str) -> str:
    [message] = site.mailbox.to(address)
    header = message["List-Unsubscribe"]
    link = re.search(r"<(http[^>]+)>", header).group(1)
    assert link == link_in(message, "/unsubscribe"), "header and body carry the same link"
    return link


def _status(project, address: str) -> str:
    for line in project.run("subscribers", "list").out.splitlines():
        if line.startswith(address):
            return line.split()[1]
    raise AssertionError(f"{address} is not listed")


def _one_click(link: str) -> http.client.HTTPResponse:
    """The POST a mailbox provider sends (RFC 8058): no cookie, the body and nothing else."""
    parts = urlsplit(link)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request(
        "POST",
        f"{parts.path}?{parts.query}",
        body=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    response = connection.getresponse()
    response.body = response.read().decode()
    connection.close()
    return response


def test_a_one_click_post_as_a_mailbox_provider_sends_it_unsubscribes_at_once(live):
    _publish(live)
    link = _unsubscribe_link(live, READERS[0])

    answer = _one_click(link)

    assert answer.status == 200
    assert answer.getheader("Set-Cookie") is None
    assert answer.getheader("Location") is None
    assert "You are unsubscribed" in answer.body
    assert _status(live.project, READERS[0]) == "unsubscribed"
    assert _status(live.project, READERS[1]) == "active", "only the link's owner leaves"
    again = _one_click(link)
    assert again.status == 200, "a repeated POST is answered the same"
    assert "You are unsubscribed" in again.body
    shown = live.project.run("subscribers", "show", READERS[0]).out
    assert shown.count("unsubscribed (one-click)") == 1, shown
    assert "from 127.0.0.1" in shown


def test_a_scanner_that_follows_every_link_unsubscribes_nobody(live):
    _publish(live)
    [message] = live.mailbox.to(READERS[0])
    body = message.get_body(("html",)).get_content()
    ours = [href for href in re.findall(r'href="([^"]+)"', body) if href.startswith(live.url)]
    assert any("/unsubscribe?" in href for href in ours)
    with live.server.client() as scanner:
        for href in ours:
            assert scanner.get(href).status_code in (200, 404)
            assert scanner.head(href).status_code in (200, 404, 405)

    assert _status(live.project, READERS[0]) == "active"


def test_the_page_has_one_button_and_offers_to_come_back(live):
    _publish(live)
    link = _unsubscribe_link(live, READERS[0])
    with live.server.client() as browser:
        page = browser.get(link)
        assert page.status_code == 200
        [form] = forms(page.text)
        assert form["fields"] == {}, "no CSRF token and no cookie needed, as for one click"
        assert "Unsubscribe" in page.text
        assert _status(live.project, READERS[0]) == "active", "showing the page changes nothing"

        left = submit(browser, page)
        assert left.status_code == 200 and "You are unsubscribed" in left.text
        assert _status(live.project, READERS[0]) == "unsubscribed"

        back = submit(browser, left)
        assert back.status_code == 200 and "Welcome back" in back.text
    assert _status(live.project, READERS[0]) == "active"
    shown = live.project.run("subscribers", "show", READERS[0]).out
    assert "unsubscribed (page)" in shown and "resubscribed (page)" in shown


def test_new_links_are_opaque_and_old_links_keep_working(live):
    _publish(live)
    link = _unsubscribe_link(live, READERS[0])
    token = parse_qs(urlsplit(link).query)["token"][0]
    encoded = base64.urlsafe_b64encode(READERS[0].encode()).decode().rstrip("=")
    assert READERS[0] not in link and encoded[:12] not in token and "." not in token

    # A link sent before opaque tokens: the address and its MAC (the earlier format).
    from publisher import Secret
    from publisher_email.tokens import SigningKey

    old = SigningKey(Secret("test-signing-key-for-the-pages-0123456789")).token(
        "newsletter", READERS[1]
    )
    answer = _one_click(f"{live.url}/unsubscribe?token={old}")
    assert answer.status == 200
    assert _status(live.project, READERS[1]) == "unsubscribed"


@pytest.mark.parametrize("kind", ["new", "old"])
def test_subscribers_remove_takes_either_kind_of_token(site, kind):
    _publish(site)
    token = parse_qs(urlsplit(_unsubscribe_link(site, READERS[0])).query)["token"][0]
    if kind == "old":
        from publisher import Secret
        from publisher_email.tokens import SigningKey

        key = Secret("test-signing-key-for-the-pages-0123456789")
        token = SigningKey(key).token("newsletter", READERS[0])

    result = site.project.run("subscribers", "remove", "--token", token)

    assert result.code == 0, result.err
    assert result.out == f"{READERS[0]} is now unsubscribed on list 'newsletter'.\n"


def _variants(token: str) -> dict[str, str]:
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    return {
        "tampered": flipped,
        "truncated": token[:30],
        "empty": "",
        "garbage": "%00<script>",
        "long": "x" * 5000,
        "old format tampered": "cmVhZGVyMEBleGFtcGxlLm9yZw.AAAAAAAAAAAAAAAAAAAAAA",
    }


def test_tampered_truncated_and_foreign_tokens_get_a_plain_400(live):
    _publish(live)
    token = parse_qs(urlsplit(_unsubscribe_link(live, READERS[0])).query)["token"][0]
    from publisher import Secret
    from publisher_email.tokens import SigningKey, new_id

    foreign = SigningKey(Secret("another-site-s-key-0123456789abcdef"))
    bad = {
        **_variants(token),
        "foreign key": foreign.seal("unsubscribe", "newsletter", token[:22]),
        "foreign list": SigningKey(Secret("test-signing-key-for-the-pages-0123456789")).seal(
            "unsubscribe", "other-list", token[:22]
        ),
        "confirmation token": SigningKey(Secret("test-signing-key-for-the-pages-0123456789")).seal(
            "confirm", "newsletter", new_id()
        ),
    }
    with live.server.client() as browser:
        for name, value in bad.items():
            for answer in (
                browser.get("/unsubscribe", params={"token": value}),
                browser.post(
                    "/unsubscribe",
                    params={"token": value},
                    content=b"List-Unsubscribe=One-Click",
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                ),
            ):
                assert answer.status_code == 400, name
                assert INVALID in answer.text, name
                assert "Traceback" not in answer.text and READERS[0] not in answer.text
    assert _status(live.project, READERS[0]) == "active"


CLOSED = "This link cannot subscribe you again"


def _resubscribe(site, link: str):
    token = parse_qs(urlsplit(link).query)["token"][0]
    with site.server.client() as browser:
        return browser.post("/resubscribe", data={"token": token})


def _resubscribe_page(answer) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", answer.text)


def test_a_bounced_or_complained_address_never_comes_back_through_an_old_link(live):
    _publish(live)
    links = {address: _unsubscribe_link(live, address) for address in READERS[:2]}
    assert live.project.run("subscribers", "remove", "--bounced", READERS[0]).code == 0
    from publisher.workspace import Workspace
    from publisher_email.subscribers import Subscribers

    engine = Workspace.open(live.project.config).state.engine
    Subscribers(engine, "newsletter").set_status(READERS[1], "complained")

    answers = [_resubscribe(live, links[address]) for address in READERS[:2]]

    assert _status(live.project, READERS[0]) == "bounced"
    assert _status(live.project, READERS[1]) == "complained"
    for answer in answers:
        assert answer.status_code == 200 and CLOSED in answer.text
        assert READERS[0] not in answer.text and "bounced" not in answer.text
    assert _resubscribe_page(answers[0]) == _resubscribe_page(answers[1])


def test_subscribe_again_undoes_only_the_link_s_own_unsubscribe_within_30_days(live):
    import time_machine

    _publish(live)
    links = {address: _unsubscribe_link(live, address) for address in READERS}
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=True):
        for address in READERS:
            assert _one_click(links[address]).status == 200
        # The operator removed one after the reader had left through the link.
        assert live.project.run("subscribers", "remove", READERS[2]).code == 0
    with time_machine.travel(start + timedelta(days=29), tick=True):
        back = _resubscribe(live, links[READERS[0]])
        changed_since = _resubscribe(live, links[READERS[2]])
    with time_machine.travel(start + timedelta(days=31), tick=True):
        too_late = _resubscribe(live, links[READERS[1]])

    assert "Welcome back" in back.text
    assert _status(live.project, READERS[0]) == "active"
    assert CLOSED in too_late.text and _status(live.project, READERS[1]) == "unsubscribed"
    assert CLOSED in changed_since.text and _status(live.project, READERS[2]) == "unsubscribed"
    assert _resubscribe_page(too_late) == _resubscribe_page(changed_since)


def test_resubscribe_within_is_a_setting(site):
    import time_machine

    site.configure('resubscribe_within = "2d"')
    site.start()
    _publish(site)
    link = _unsubscribe_link(site, READERS[0])
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=True):
        assert _one_click(link).status == 200
    with time_machine.travel(start + timedelta(days=3), tick=True):
        assert CLOSED in _resubscribe(site, link).text
    assert _status(site.project, READERS[0]) == "unsubscribed"
