"""`/archive`, `/archive/{edition}` and `/feed.atom`: the editions that went out, as sent."""

from __future__ import annotations

import re

import feedparser
from web.conftest import ARCHIVE_URL

from support.mail import READERS
from support.web import links, submit


def _send_digest(site) -> str:
    result = site.project.run("digest", "--since", "3650d", "--to", "newsletter")
    assert result.code == 0, result.out + result.err
    [edition] = {m["Subject"] for m in site.mailbox.to(READERS[0])}
    return edition


def test_the_digest_links_to_its_archive_page_which_shows_it_without_reader_links(live):
    subject = _send_digest(live)
    [message] = live.mailbox.to(READERS[0])
    html = message.get_body(("html",)).get_content()
    web_link = re.search(r'href="([^"]+)"[^>]*>View in browser<', html).group(1)
    assert re.fullmatch(rf"{live.url}/archive/digest-\d{{4}}-\d\d-\d\d-[0-9a-f]{{8}}", web_link)
    personal = re.search(r"token=([A-Za-z0-9_-]+)", html).group(1)

    with live.server.client() as browser:
        index = browser.get("/archive")
        page = browser.get(web_link)

    assert index.status_code == 200 and subject in index.text
    assert page.status_code == 200
    assert "Harbour Opens a Night Market" in page.text
    assert personal not in page.text and "token=" not in page.text
    assert "%%unsubscribe_token%%" not in page.text
    assert "/subscribe" in links(page.text)
    # The lines for a subscriber are not said to a reader of the archive.
    assert "You receive this" in html and "You receive this" not in page.text
    assert "View in browser" not in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "<script" not in page.text.lower()


def test_the_feed_is_valid_atom_with_every_edition_newest_first(live):
    _send_digest(live)
    result = live.project.run("publish", "--story", "night-market", "--to", "newsletter")
    assert result.code == 0, result.err

    with live.server.client() as reader:
        answer = reader.get("/feed.atom")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(answer.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "Test News"
    assert [entry.title for entry in feed.entries] == [
        "Harbour Opens a Night Market",
        live.mailbox.to(READERS[0])[0]["Subject"],
    ]
    for entry in feed.entries:
        assert entry.id.startswith("tag:127.0.0.1,")
        assert entry.link.startswith(f"{live.url}/archive/")
        assert entry.published_parsed and entry.updated_parsed
    with live.server.client() as reader:
        for entry in feed.entries:
            assert reader.get(entry.link).status_code == 200


def test_an_unsent_or_unknown_edition_is_not_in_the_archive(live):
    with live.server.client() as browser:
        empty = browser.get("/archive")
        missing = browser.get("/archive/story-night-market")
        feed = feedparser.parse(browser.get("/feed.atom").content)
    assert "Nothing has been sent yet" in empty.text
    assert missing.status_code == 404 and "Edition not found" in missing.text
    assert feed.bozo == 0 and feed.entries == []


def test_feed_links_come_from_the_site_url_never_from_the_host_header(site):
    site.configure("")  # no archive_url: the pages' own addresses
    site.start()
    _send_digest(site)

    with site.server.client() as forger:
        answer = forger.get("/feed.atom", headers={"Host": "evil.example"})

    assert answer.status_code == 200
    assert "evil.example" not in answer.text
    hrefs = re.findall(r'href="([^"]+)"', answer.text)
    assert f"{site.url}/feed.atom" in hrefs and f"{site.url}/archive" in hrefs
    assert [h for h in hrefs if "/archive/" in h] and all(h.startswith(site.url) for h in hrefs)


UNSAFE_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
HOSTILE_STORY = """\
---
headline: "Harbour\\u202e Opens\\x85 a Night\\x9b Market"
published: 2026-11-20T18:00:00+01:00
---
Forty stalls opened on the first Friday.
"""


def test_bidi_overrides_and_c1_controls_reach_no_subject_sender_or_page(site):
    """U+202E (which reverses what follows), NEL (U+0085) and CSI (U+009B) in a headline,
    the site's name and the list's title: gone from every header and page a reader sees."""
    site.configure(f'{ARCHIVE_URL}\ntitle = "Night\\u202eNews\\u0085\\u009b"')
    config = site.project.config.read_text()
    site.project.write_config(
        config.replace('name = "Test News"', 'name = "Test\\u202E News\\u0085\\u009B"')
    )
    site.project.add_story("night-market.md", HOSTILE_STORY)
    site.start()

    subject = _send_digest(site)
    [message] = site.mailbox.to(READERS[0])
    with site.server.client() as browser:
        index = browser.get("/archive")
        form = browser.get("/subscribe")
        [web_link] = [link for link in links(index.text) if "/archive/digest-" in link]
        page = browser.get(web_link)
        signed_up = submit(browser, form, email="ada@example.net")
    [confirmation] = site.mailbox.to("ada@example.net")

    assert signed_up.status_code == 200
    assert confirmation["Subject"] == "Confirm your subscription to Night News"
    assert "Harbour Opens a Night Market" in subject
    for header in ("Subject", "List-Id", "From"):
        assert not UNSAFE_TEXT.search(str(message[header])), f"{header}: {message[header]!r}"
    assert "Test News" in message["List-Id"]
    for answer in (index, form, page):
        assert answer.status_code == 200
        assert not UNSAFE_TEXT.search(answer.text), f"{answer.url}: {answer.text!r}"
    assert "Test News" in form.text
    assert "Harbour Opens a Night Market" in page.text
