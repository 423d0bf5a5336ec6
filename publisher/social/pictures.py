"""A story's picture: carried on the root part at render, fetched and checked at delivery
(read no further than the platform's limit, the type told by the bytes).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from publisher.story import Story


class PictureUnavailable(Exception):
    """A story's picture could not be fetched, or is not one the platform takes.

    Example, at delivery::

        try:
            picture = fetch_picture(part.extra["image"], {"image/jpeg": 1_000_000}, 10)
        except PictureUnavailable as error:
            warning = str(error)  # the post goes without it; Sent(..., warning=warning)
    """


@dataclass(frozen=True)
class Picture:
    r"""A fetched picture, checked: its bytes, what they are, and the alt text to post.

    >>> Picture(b"\x89PNG...", "image/png", "A tram on the bridge").mime_type
    'image/png'
    """

    data: bytes
    mime_type: str
    alt: str


_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def picture_extra(story: Story) -> tuple[dict[str, Any], tuple[str, ...]]:
    """What a root post's part carries about the story's picture, and any warning.

    A picture without alt text is left out, with a warning: a post must not show
    readers of screen readers an image they cannot know.

    >>> from publisher.testing import make_story
    >>> story = make_story(image={"url": "https://n.example/t.jpg", "alt": "A tram"})
    >>> picture_extra(story)
    ({'image': {'url': 'https://n.example/t.jpg', 'alt': 'A tram'}}, ())
    >>> picture_extra(make_story(image={"url": "https://n.example/t.jpg", "alt": ""}))[1]
    ("the image of 'sample-story' has no alt text, so it is not attached: ...",)
    """
    if story.image is None:
        return {}, ()
    if not story.image.alt:
        return {}, (
            f"the image of '{story.id}' has no alt text, so it is not attached: "
            "add image.alt to the story",
        )
    return {"image": {"url": story.image.url, "alt": story.image.alt}}, ()


def fetch_picture(image: Mapping[str, str], limits: Mapping[str, int], timeout: float) -> Picture:
    """Fetch a part's `image` ({url, alt}) at delivery and check it against a platform's
    `limits` (MIME type -> most bytes), by what the file is rather than what it is called.

    Raises `PictureUnavailable` saying why; the post then goes out without it.

    Example, at delivery (`PictureUnavailable` shows what to do when it fails)::

        picture = fetch_picture(part.extra["image"], {"image/png": 1_000_000}, timeout=10)
        upload(picture.data, picture.mime_type, alt=picture.alt)
    """
    url = image["url"]
    request = urllib.request.Request(url, headers={"User-Agent": "Publisher"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read(max(limits.values()) + 1)
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        raise PictureUnavailable(f"the image {url} could not be fetched ({reason})") from None
    mime_type = _sniff(data)
    if mime_type is None or mime_type not in limits:
        what = mime_type or "not an image this channel knows"
        takes = ", ".join(sorted(limits))
        raise PictureUnavailable(f"the image {url} is {what}; the platform takes {takes}")
    if len(data) > limits[mime_type]:
        most = limits[mime_type] / 1_000_000
        raise PictureUnavailable(f"the image {url} is larger than the {most:g} MB allowed")
    return Picture(data, mime_type, image.get("alt", ""))


def _sniff(data: bytes) -> str | None:
    for signature, mime_type in _SIGNATURES:
        if data.startswith(signature):
            return mime_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in (b"avif", b"avis"):
        return "image/avif"
    return None
