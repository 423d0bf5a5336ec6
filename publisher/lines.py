"""Text from outside made safe to print or keep: no control characters, no bidi overrides.

`UNSAFE` is the one definition of what is unsafe in text: `one_line` and `plain_line` here,
and the story's `clean_line` (every headline, subject and page title) use it. Apart from
`publisher.text` (which re-exports both, as public API) so that the command line can use
them without loading `regex`, which costs start-up time.
"""

from __future__ import annotations

import re

# What a terminal obeys or a reader is misled by, as a regular expression's character class:
# C0 controls (but tab and line feed, which text folds or keeps as its own), DEL, C1 controls
# (NEL, CSI, OSC), line and paragraph separators, and the bidirectional embeddings,
# overrides and isolates.
UNSAFE = r"\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
# Compiled on first use (and kept in `re`'s cache), not by every command that imports this.
_UNSAFE = rf"[\t\n{UNSAFE}]"


def one_line(text: str) -> str:
    r"""`text` from outside (the database, a remote server, a file) made safe to print: every
    control character, line break and bidirectional override shown escaped, never obeyed.

    Printable text is left exactly as it was, so applying it twice changes nothing.

    >>> print(one_line("550 5.1.1 \x1b]52;c;aGk=\x07 no such user\r\n"))
    550 5.1.1 \x1b]52;c;aGk=\x07 no such user\r\n
    >>> one_line("Ada \u202eecilA")
    'Ada \\u202eecilA'
    """
    return re.sub(_UNSAFE, lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def plain_line(text: str) -> str:
    r"""`text` from outside, as it is worth keeping: one line, control characters and
    bidirectional overrides removed, white space (line breaks too) folded to single spaces.

    For what is stored from a form, a remote server's reply or a report, so that nothing
    kept can later drive a terminal or reorder what a reader sees.

    >>> plain_line("550-5.1.1 no such\r\n550 5.1.1 user \x1b[2J\x07")
    '550-5.1.1 no such 550 5.1.1 user [2J'
    """
    return " ".join(re.sub(_UNSAFE, lambda m: " " if m.group().isspace() else "", text).split())
