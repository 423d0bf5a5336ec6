"""SMTP over a bounded pool of reused connections (smtplib).

`smtp://` upgrades with STARTTLS whenever the server offers it and refuses to
log in without it; `smtps://` speaks TLS from the first byte. Certificates
are verified against the system's trust store (or `SSL_CERT_FILE`). Each
connection carries many messages; at most `size` are open at once, which
also bounds how many copies can be on the wire when a process dies.

A reused connection that fails before DATA (an idle one the server had closed)
is replaced and the message sent on the new one. From the DATA command on, the
server may already hold the message: a failure there is a TemporaryFailure and
the copy stays in flight (recipients.py), never sent again at once.
"""

from __future__ import annotations

import contextlib
import queue
import smtplib
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from publisher import AuthenticationFailed, DeliveryError, Secret, TemporaryFailure
from publisher.text import plain_line
from publisher_email.transport import Envelope, Refused

TIMEOUT = 60.0  # seconds for a connection or a command's reply
# Seconds for the reply to the message's final ".": the server may check it at length
# before it answers, and giving up early leaves a copy that may well arrive (RFC 5321 4.5.3.2).
FINAL_REPLY_TIMEOUT = 600.0


class _LostAfterData(Exception):
    """The connection failed once DATA had been sent: the server may hold the message."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class SmtpServer:
    """An smtp:// or smtps:// URL, taken apart; the password stays a Secret."""

    host: str
    port: int
    implicit_tls: bool
    username: str = ""
    password: Secret | None = None

    @classmethod
    def parse(cls, url: str) -> SmtpServer:
        """ValueError (which never repeats the URL, as it may hold a password) when malformed."""
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            raise ValueError("the SMTP URL has an invalid port") from None
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("must be smtp://[user:password@]host[:port] or smtps://...")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError("an SMTP URL has only user, password, host and port")
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=port or (465 if implicit else 587),
            implicit_tls=implicit,
            username=unquote(parts.username or ""),
            password=Secret(unquote(parts.password)) if parts.password else None,
        )

    def describe(self) -> str:
        """Host and port in words (the URL itself is a secret, masked wherever it appears)."""
        tls = " (implicit TLS)" if self.implicit_tls else ""
        return f"SMTP server {self.host}:{self.port}{tls}"


class SmtpPool:
    """Up to `size` connections to one server, opened on demand and reused."""

    def __init__(
        self,
        server: SmtpServer,
        size: int,
        timeout: float = TIMEOUT,
        final_reply_timeout: float = FINAL_REPLY_TIMEOUT,
    ) -> None:
        self.server = server
        self.connections = size
        self.timeout = timeout
        self.final_reply_timeout = final_reply_timeout
        self._slots = threading.BoundedSemaphore(size)
        self._idle: queue.LifoQueue[smtplib.SMTP] = queue.LifoQueue()

    @property
    def _where(self) -> str:
        return f"{self.server.host}:{self.server.port}"

    def describe(self) -> str:
        return self.server.describe()

    def send(self, envelope: Envelope) -> None:
        with self._slots:
            connection, reused = self._take()
            while True:
                try:
                    _transmit(connection, envelope, self.final_reply_timeout)
                except _LostAfterData as lost:
                    connection.close()
                    raise TemporaryFailure(
                        f"lost the connection to {self._where} after DATA: {_reply(lost.error)}; "
                        f"the copy to {envelope.recipient} may have arrived, so it stays in "
                        "flight: a later attempt sends it again with the same Message-ID"
                    ) from None
                except (smtplib.SMTPServerDisconnected, OSError) as error:
                    _quit(connection)
                    if not reused:
                        raise TemporaryFailure(
                            f"lost the connection to {self._where}: {_reply(error)}"
                        ) from None
                    # Before DATA on a connection that sat idle (the server closed it):
                    # nothing was delivered, so once more, on a fresh one.
                    connection, reused = self._open(), False
                    continue
                except Refused:
                    self._idle.put(connection)
                    raise
                except BaseException:
                    _quit(connection)
                    raise
                self._idle.put(connection)
                return

    def _take(self) -> tuple[smtplib.SMTP, bool]:
        """An idle connection (reused) or a new one."""
        try:
            return self._idle.get_nowait(), True
        except queue.Empty:
            return self._open(), False

    def _open(self) -> smtplib.SMTP:
        server = self.server
        context = ssl.create_default_context()
        connection: smtplib.SMTP
        try:
            if server.implicit_tls:
                connection = smtplib.SMTP_SSL(
                    server.host, server.port, timeout=self.timeout, context=context
                )
            else:
                connection = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
        except ssl.SSLError as error:
            raise DeliveryError(f"TLS with {self._where} failed: {error.reason or error}") from None
        except (smtplib.SMTPException, OSError) as error:
            raise TemporaryFailure(f"cannot connect to {self._where}: {_reply(error)}") from None
        try:
            self._greet(connection, context)
        except BaseException:
            connection.close()
            raise
        return connection

    def _greet(self, connection: smtplib.SMTP, context: ssl.SSLContext) -> None:
        """EHLO, STARTTLS where offered, and the login the URL asks for."""
        server = self.server
        try:
            connection.ehlo(socket.gethostname())
            if not server.implicit_tls and connection.has_extn("starttls"):
                connection.starttls(context=context)
                connection.ehlo(socket.gethostname())
            elif not server.implicit_tls and server.username:
                raise DeliveryError(
                    f"{self._where} does not offer STARTTLS; refusing to send the password "
                    "unencrypted (use smtps:// if the server speaks TLS from the start)"
                )
            if server.username:
                password = server.password.reveal() if server.password else ""
                connection.login(server.username, password)
        except smtplib.SMTPAuthenticationError as error:
            raise AuthenticationFailed(
                f"{self._where} refused the login for {server.username}: {_reply(error)}"
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError(
                f"{self._where} does not offer AUTH; take the user and password out of the URL"
            ) from None
        except ssl.SSLError as error:
            raise DeliveryError(f"TLS with {self._where} failed: {error.reason or error}") from None
        except (smtplib.SMTPException, OSError) as error:
            raise TemporaryFailure(f"cannot talk to {self._where}: {_reply(error)}") from None

    def check(self) -> str:
        connection, _ = self._take()
        try:
            connection.noop()
        finally:
            _quit(connection)
        login = f", logged in as {self.server.username}" if self.server.username else ""
        return f"{self.describe()}{login}"

    def close(self) -> None:
        while True:
            try:
                _quit(self._idle.get_nowait())
            except queue.Empty:
                return


def _transmit(connection: smtplib.SMTP, envelope: Envelope, final_reply_timeout: float) -> None:
    """One message on one connection; per-recipient refusals become Refused, and a
    connection lost from DATA on becomes _LostAfterData."""
    try:
        _sendmail(connection, envelope, final_reply_timeout)
    except smtplib.SMTPRecipientsRefused as error:
        code, reply = error.recipients.get(envelope.recipient, (450, b"refused"))
        raise Refused(code, _text(reply)) from None
    except smtplib.SMTPSenderRefused as error:
        if error.smtp_code >= 500:
            raise DeliveryError(
                f"the server refused the sender {envelope.sender}: {_reply(error)}"
            ) from None
        raise Refused(error.smtp_code, _text(error.smtp_error)) from None
    except smtplib.SMTPDataError as error:
        raise Refused(error.smtp_code, _text(error.smtp_error)) from None


def _sendmail(connection: smtplib.SMTP, envelope: Envelope, final_reply_timeout: float) -> None:
    """What smtplib's `sendmail` does for one recipient, with the same errors, less two costs
    it pays on every message: parsing both addresses again (ours are checked plain addresses)
    and dot-stuffing with a regular expression (a byte replace does the same)."""
    size = f" SIZE={len(envelope.message)}" if connection.has_extn("size") else ""
    connection.putcmd("mail", f"FROM:<{envelope.sender}>{size}")
    code, reply = connection.getreply()
    if code != 250:
        _abandon(connection, code)
        raise smtplib.SMTPSenderRefused(code, reply, envelope.sender)
    connection.putcmd("rcpt", f"TO:<{envelope.recipient}>")
    code, reply = connection.getreply()
    if code not in (250, 251):
        _abandon(connection, code)
        raise smtplib.SMTPRecipientsRefused({envelope.recipient: (code, reply)})
    try:
        connection.putcmd("data")
        code, reply = connection.getreply()
        if code == 354:
            connection.send(_dot_stuffed(envelope.message))
            code, reply = _final_reply(connection, final_reply_timeout)
    except (smtplib.SMTPServerDisconnected, OSError) as error:
        raise _LostAfterData(error) from None
    if code != 250:
        _abandon(connection, code)
        raise smtplib.SMTPDataError(code, reply)


def _final_reply(connection: smtplib.SMTP, timeout: float) -> tuple[int, bytes]:
    """The reply to the final ".", waited for as long as RFC 5321 allows, not a command's."""
    sock = connection.sock
    if sock is None:
        raise smtplib.SMTPServerDisconnected("the connection was closed")
    command_timeout = sock.gettimeout()
    sock.settimeout(timeout)
    try:
        return connection.getreply()
    finally:
        if connection.sock is not None:
            connection.sock.settimeout(command_timeout)


def _abandon(connection: smtplib.SMTP, code: int) -> None:
    """After a refusal: a server that said 421 is closing; with any other, start over (RSET)."""
    if code == 421:
        connection.close()
        return
    with contextlib.suppress(smtplib.SMTPServerDisconnected):
        connection.rset()


def _dot_stuffed(message: bytes) -> bytes:
    """The message as DATA carries it: a dot doubled at the start of a line (RFC 5321 4.5.2),
    a line end, and the lone dot that ends it."""
    data = message.replace(b"\n.", b"\n..")
    if data.startswith(b"."):
        data = b"." + data
    return data + (b".\r\n" if data.endswith(b"\r\n") else b"\r\n.\r\n")


def _quit(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()


def _text(reply: bytes | str) -> str:
    """A server's reply as it is kept and shown: one line, its control characters dropped
    (a hostile server's terminal escapes reach no operator through the ledger)."""
    return plain_line(reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply))


def _reply(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    return _text(str(error)) or type(error).__name__
