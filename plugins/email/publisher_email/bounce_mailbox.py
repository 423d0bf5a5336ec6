"""The mailbox bounces and complaints arrive in: IMAP (imaplib, over TLS) or a local Maildir.

Messages are read one at a time, at most `MAX_BYTES` of each (a bounce that
quotes a huge message is read in part), and each is marked once it has been
handled, so the next fetch skips it: over IMAP with the keyword
`PublisherDone` (and \\Seen), in a Maildir by moving it into the `Processed`
folder. Marking is the second line of defence: every event is also recorded
under a reference of its own, so a message read twice counts once.

`imaps://user:password@host[:port]/FOLDER` speaks TLS from the first byte
(port 993); `imap://...` (port 143) must upgrade with STARTTLS, and a password
is never sent without it. `maildir:PATH` is read relative to the project folder.
"""

from __future__ import annotations

import imaplib
import mailbox
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from publisher import ConfigError, PublisherError, Secret

MAX_BYTES = 2_000_000
DONE_KEYWORD = "PublisherDone"
PROCESSED = "Processed"
MAILDIR = "maildir:"
TIMEOUT = 60.0


class MailboxError(PublisherError):
    """The bounce mailbox could not be read (unreachable, login refused, no such folder)."""


class BounceMailbox(Protocol):
    def unread(self) -> Iterator[tuple[str, bytes]]:
        """(key, bytes) of every message not yet handled."""

    def done(self, key: str) -> None:
        """Mark a message handled, so the next fetch skips it."""

    def describe(self) -> str:
        """Where the messages come from, without any password."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class ImapLocation:
    host: str
    port: int
    implicit_tls: bool
    username: str
    password: Secret  # masked in every log line and error from here on
    folder: str

    @classmethod
    def parse(cls, url: str) -> ImapLocation:
        """ValueError (never repeating the URL, which holds a password) when malformed."""
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            raise ValueError("the IMAP URL has an invalid port") from None
        if parts.scheme not in ("imap", "imaps") or not parts.hostname:
            raise ValueError(
                "must be imaps://user:password@host/FOLDER, imap://... (STARTTLS) or maildir:PATH"
            )
        if not parts.username or parts.password is None:
            raise ValueError("the IMAP URL needs a user and password (imaps://user:password@...)")
        implicit = parts.scheme == "imaps"
        return cls(
            host=parts.hostname,
            port=port or (993 if implicit else 143),
            implicit_tls=implicit,
            username=unquote(parts.username),
            password=Secret(unquote(parts.password or "")),
            folder=unquote(parts.path.strip("/")) or "INBOX",
        )


def open_mailbox(url: str, root: Path) -> BounceMailbox:
    """The mailbox a `bounce_mailbox` setting names, opened (and logged in)."""
    if url.startswith(MAILDIR):
        folder = Path(url.removeprefix(MAILDIR).strip()).expanduser()
        return MaildirBox(folder if folder.is_absolute() else root / folder)
    try:
        location = ImapLocation.parse(url)
    except ValueError as error:
        raise ConfigError(f"bounce_mailbox: {error}") from None
    return ImapBox(location)


class ImapBox:
    def __init__(self, location: ImapLocation) -> None:
        self.location = location
        self._imap = self._connect()

    def describe(self) -> str:
        where = self.location
        return f"IMAP {where.host}:{where.port} folder {where.folder}"

    def _connect(self) -> imaplib.IMAP4:
        where = self.location
        context = ssl.create_default_context()
        imap: imaplib.IMAP4
        try:
            if where.implicit_tls:
                imap = imaplib.IMAP4_SSL(
                    where.host, where.port, ssl_context=context, timeout=TIMEOUT
                )
            else:
                imap = imaplib.IMAP4(where.host, where.port, timeout=TIMEOUT)
        except (OSError, imaplib.IMAP4.error) as error:
            raise MailboxError(f"cannot reach {self.describe()}: {_reason(error)}") from None
        try:
            if not where.implicit_tls:
                if "STARTTLS" not in imap.capabilities:
                    raise MailboxError(
                        f"{where.host}:{where.port} does not offer STARTTLS; refusing to send "
                        "the password unencrypted (use imaps:// if it speaks TLS from the start)"
                    )
                imap.starttls(context)
            imap.login(where.username, where.password.reveal())
            kind, answer = imap.select(_quoted(where.folder))
            if kind != "OK":
                raise MailboxError(f"{self.describe()}: cannot open the folder: {_text(answer)}")
        except imaplib.IMAP4.error as error:
            imap.shutdown()
            raise MailboxError(f"{self.describe()}: {_reason(error)}") from None
        except (OSError, ssl.SSLError) as error:
            imap.shutdown()
            raise MailboxError(f"{self.describe()}: {_reason(error)}") from None
        except MailboxError:
            imap.shutdown()
            raise
        return imap

    def unread(self) -> Iterator[tuple[str, bytes]]:
        kind, data = self._imap.uid("SEARCH", "UNKEYWORD", DONE_KEYWORD)
        if kind != "OK":
            raise MailboxError(f"{self.describe()}: search failed: {_text(data)}")
        for uid in (data[0] or b"").decode().split():
            kind, parts = self._imap.uid("FETCH", uid, f"(BODY.PEEK[]<0.{MAX_BYTES}>)")
            body = next((p[1] for p in parts if isinstance(p, tuple)), None)
            if kind == "OK" and body is not None:
                yield uid, body

    def done(self, key: str) -> None:
        kind, data = self._imap.uid("STORE", key, "+FLAGS.SILENT", f"(\\Seen {DONE_KEYWORD})")
        if kind != "OK":
            raise MailboxError(f"{self.describe()}: cannot mark message {key}: {_text(data)}")

    def close(self) -> None:
        try:
            self._imap.close()
            self._imap.logout()
        except (imaplib.IMAP4.error, OSError):
            self._imap.shutdown()


class MaildirBox:
    def __init__(self, folder: Path) -> None:
        if not (folder / "cur").is_dir() or not (folder / "new").is_dir():
            raise MailboxError(f"{folder} is not a Maildir (it needs cur/ and new/)")
        self.folder = folder
        self._box = mailbox.Maildir(folder, create=False)

    def describe(self) -> str:
        return f"Maildir {self.folder}"

    def unread(self) -> Iterator[tuple[str, bytes]]:
        for key in sorted(self._box.keys()):
            try:
                with self._box.get_file(key) as file:
                    yield key, file.read(MAX_BYTES)
            except (KeyError, FileNotFoundError):
                continue  # taken by another reader meanwhile

    def done(self, key: str) -> None:
        try:
            processed = self._box.get_folder(PROCESSED)
        except mailbox.NoSuchMailboxError:
            processed = self._box.add_folder(PROCESSED)
        try:
            message = self._box.get_message(key)
        except KeyError:
            return
        processed.add(message)
        self._box.discard(key)

    def close(self) -> None:
        self._box.close()


def _quoted(folder: str) -> str:
    return '"' + re.sub(r'(["\\])', r"\\\1", folder) + '"'


def _text(data: object) -> str:
    if isinstance(data, list | tuple):
        return " ".join(_text(item) for item in data if item)
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)


def _reason(error: BaseException) -> str:
    if isinstance(error, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed: {error.reason or error}"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return _text(error.args[0]) if error.args else type(error).__name__
