"""One account's session, kept in the state database and reused across parts and runs.

Bluesky allows an account few logins (createSession: 30 in five minutes, 300
a day), so the session's tokens are stored and reused: a new login happens
only when there is no stored session, or when the server refuses both its
access token and its refresh token. The SDK refreshes an access token that is
about to expire on its own; every new pair of tokens is stored at once, and
masked in logs and errors like any other secret.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from atproto import Client, Request, Session, SessionEvent, exceptions

from publisher import AuthenticationFailed, Destination, Secret
from publisher_bluesky.api import session_refused, status, translated_errors
from publisher_bluesky.settings import BlueskySettings

log = logging.getLogger("publisher.channels.bluesky")
T = TypeVar("T")
REFRESH_MARGIN = 15 * 60  # seconds before expiry at which the SDK refreshes an access token


class Account:
    """The SDK's client for one destination, logged in on first use."""

    def __init__(self, destination: Destination[BlueskySettings]) -> None:
        self.settings = destination.settings
        self.state = destination.state
        self.client = Client(self.settings.service, request=Request(timeout=self.settings.timeout))
        self.client.on_session_change(self._changed)
        self.session: Session | None = None
        self._stored: str | None = None

    @property
    def did(self) -> str:
        return self._open().did

    @property
    def handle(self) -> str:
        return self._open().handle

    def call(self, action: Callable[[Client], T]) -> T:
        """Run one request, logged in; a refused token is renewed once and the request made again
        (it was refused, so nothing was made the first time)."""
        self._open()
        with translated_errors():
            try:
                return action(self.client)
            except exceptions.AtProtocolError as error:
                if not session_refused(error):
                    raise
            self._renew()
            return action(self.client)

    def close(self) -> None:
        self.client.request.close()

    @property
    def _cache_key(self) -> str:
        return f"bluesky:session:{self.settings.service.rstrip('/')}:{self.settings.handle}"

    def _open(self) -> Session:
        if self.session is None:
            stored = (self.state.get(self._cache_key) or {}).get("session")
            if stored:
                self._stored = stored
                # Importing a session makes no request; a refused one is renewed by `call`.
                try:
                    self.client.login(session_string=stored, fetch_bsky_profile=False)
                    self._expired()  # reads the token's expiry: a token that cannot be read fails
                except (ValueError, exceptions.AtProtocolError):
                    self.session = None  # not a session this SDK can use: log in afresh
                    self._login()
            else:
                self._login()
        assert self.session is not None
        return self.session

    def _login(self) -> None:
        """createSession with the app password: the one request Bluesky limits most."""
        password = self.settings.app_password.reveal()
        # At the configured service; the answer names the PDS that serves the account.
        self.client.update_base_url(self.settings.service)
        with translated_errors():
            try:
                self.client.login(self.settings.handle, password, fetch_bsky_profile=False)
            except exceptions.UnauthorizedError as error:
                if status(error) != 401:
                    raise
                raise AuthenticationFailed(
                    f"Bluesky refused the handle {self.settings.handle!r} with its app password "
                    f"({error}); check the handle and BLUESKY_APP_PASSWORD (an app password is "
                    "made under Settings > Privacy and security > App passwords)"
                ) from error

    def _renew(self) -> None:
        """The server refused the access token: refresh it, or log in again if that fails too."""
        if not self._expired():  # else the SDK's own refresh was refused already
            try:
                self._refresh()
                return
            except exceptions.AtProtocolError as error:
                if not session_refused(error):
                    raise
        log.info(
            "%s: the stored Bluesky session was refused; logging in again", self.settings.handle
        )
        self._login()

    def _refresh(self) -> None:
        assert self.session is not None
        answer = self.client.com.atproto.server.refresh_session(
            headers={"Authorization": f"Bearer {self.session.refresh_jwt}"},
            ignore_session_check=True,
        )
        renewed = Session(
            answer.handle,
            answer.did,
            answer.access_jwt,
            answer.refresh_jwt,
            self.session.pds_endpoint,
        )
        self.client.login(session_string=renewed.export(), fetch_bsky_profile=False)

    def _expired(self) -> bool:
        assert self.session is not None
        expires = self.session.access_jwt_payload.exp
        return expires is None or time.time() > expires - REFRESH_MARGIN

    def _changed(self, event: SessionEvent, session: Session) -> None:
        """Every session the client takes on: masked, remembered, and stored when new."""
        for token in (session.access_jwt, session.refresh_jwt):
            Secret(token)  # a Secret's value is masked in every log line and error from now on
        self.session = session
        exported = session.export()
        if exported != self._stored:
            self.state.put(self._cache_key, {"session": exported})
            self._stored = exported
