"""A real IMAP server for the bounce tests: Debian's Dovecot on 127.0.0.1, thrown away after.

Each server gets its own folder (configuration, state, log and one Maildir
user), a password of its own, free ports for IMAP with STARTTLS and for
implicit TLS, and the tests' self-signed certificate. Run as root, mail is
stored as `nobody`, since Dovecot refuses to store it as root.
"""

from __future__ import annotations

import contextlib
import getpass
import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from support.mail import Certificate

USER = "bounces"
PASSWORD = "imap-test-passw0rd"
START_WITHIN = 15.0  # seconds


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (path for path in ("/usr/sbin/dovecot",) if Path(path).is_file()), None
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Dovecot:
    folder: Path
    process: subprocess.Popen
    imap_port: int
    imaps_port: int

    def url(self, scheme: str = "imaps", folder: str = "INBOX") -> str:
        port = self.imaps_port if scheme == "imaps" else self.imap_port
        return f"{scheme}://{USER}:{PASSWORD}@127.0.0.1:{port}/{folder}"

    def client(self) -> imaplib.IMAP4_SSL:
        """A logged-in client of our own, as a mail server delivering into the box would be."""
        context = ssl.create_default_context(cafile=str(self.folder / "cert.pem"))
        imap = imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port, ssl_context=context, timeout=10)
        imap.login(USER, PASSWORD)
        return imap

    def deliver(self, *messages: bytes, folder: str = "INBOX") -> None:
        imap = self.client()
        try:
            for message in messages:
                kind, answer = imap.append(folder, None, None, message)
                assert kind == "OK", answer
        finally:
            imap.logout()

    def flags(self, folder: str = "INBOX") -> list[str]:
        """Each message's flags, in order."""
        imap = self.client()
        try:
            imap.select(folder)
            kind, data = imap.fetch("1:*", "(FLAGS)")
        finally:
            imap.logout()
        return [item.decode() for item in data if item] if kind == "OK" else []

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def start_dovecot(certificate: Certificate) -> Dovecot:
    """Start Dovecot; RuntimeError with its log when it does not come up."""
    binary = dovecot_binary()
    if binary is None:
        raise RuntimeError("dovecot is not installed (scripts/test-services.sh installs it)")
    folder = Path(tempfile.mkdtemp(prefix="publisher-dovecot-"))
    folder.chmod(0o755)  # the mail user must reach its Maildir
    if os.getuid() == 0:
        mail = pwd.getpwnam("nobody")
        internal, login = "dovecot", "dovenull"
    else:
        mail = pwd.getpwuid(os.getuid())
        internal = login = getpass.getuser()
    for name in ("mail", "home"):
        (folder / name).mkdir()
        os.chown(folder / name, mail.pw_uid, mail.pw_gid)
    for name in ("run", "state"):
        (folder / name).mkdir()
    shutil.copy(certificate.cert, folder / "cert.pem")
    shutil.copy(certificate.key, folder / "key.pem")
    imap_port, imaps_port = _free_port(), _free_port()
    (folder / "dovecot.conf").write_text(
        f"""\
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{folder}/cert.pem
ssl_key = <{folder}/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{folder}/mail/%u
default_internal_user = {internal}
default_login_user = {login}
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={mail.pw_uid} gid={mail.pw_gid} home={folder}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""
    )
    process = subprocess.Popen(
        [binary, "-F", "-c", str(folder / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    server = Dovecot(folder, process, imap_port, imaps_port)
    deadline = time.monotonic() + START_WITHIN
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", imaps_port), 1):
            return server
        time.sleep(0.1)
    log = (folder / "dovecot.log").read_text() if (folder / "dovecot.log").exists() else ""
    errors = process.stderr.read().decode() if process.poll() is not None else ""
    server.stop()
    reason = (errors + log).strip().splitlines()
    raise RuntimeError(f"dovecot did not start: {reason[-1] if reason else 'no log'}")
