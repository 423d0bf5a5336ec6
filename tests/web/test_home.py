"""`/`, the front page a reader lands on: the site's name once in its title, a line about the
site, and each page a plugin put in the navigation offered as a call to action."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class _Front(HTMLParser):
    """The page's title, and the text and links of its main content (not the masthead)."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.main_text: list[str] = []
        self.actions: list[tuple[str, str]] = []
        self._in: list[str] = []
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self._in.append(tag)
        if tag == "a" and "main" in self._in:
            self._href = dict(attrs).get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._in:
            del self._in[len(self._in) - 1 - self._in[::-1].index(tag) :]
        if tag == "a":
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._in and self._in[-1] == "title":
            self.title += data
        elif "main" in self._in:
            self.main_text.append(data)
            if self._href and data.strip():
                self.actions.append((data.strip(), self._href))


def front(live) -> _Front:
    with live.server.client() as reader:
        answer = reader.get("/")
    assert answer.status_code == 200
    page = _Front()
    page.feed(answer.text)
    return page


def test_the_front_page_names_the_site_once_says_what_it_is_and_offers_its_pages(live):
    page = front(live)
    assert page.title.strip() == "Test News"
    text = re.sub(r"\s+", " ", " ".join(page.main_text)).strip()
    assert text.startswith("Test News News stories from Test News"), text
    assert ("Subscribe", "/subscribe") in page.actions
    assert ("Archive", "/archive") in page.actions


def test_the_front_page_calls_to_action_lead_where_they_say(live):
    with live.server.client() as reader:
        for label, href in front(live).actions:
            answer = reader.get(href)
            assert answer.status_code == 200, (label, href)
            assert label in answer.text


def test_other_pages_keep_the_site_name_after_their_own_title(live):
    with live.server.client() as reader:
        answer = reader.get("/archive")
    page = _Front()
    page.feed(answer.text)
    assert page.title.strip() == "Archive · Test News"
