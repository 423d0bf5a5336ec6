"""Fresh virtual environments that install Publisher's distributions with pip, offline.

A new environment sees the third-party packages this one has installed (through a `.pth`
file naming a folder of links to them, Publisher's own distributions left out), and pip
installs into it with `--no-index`: it builds and installs our distributions from source,
checks every declared dependency against what it sees, and downloads nothing. A
dependency missing from what is installed here fails the install, as it would offline.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from support.project import REPOSITORY

CHANNELS = ("email", "mastodon", "x", "bluesky")
TIMEOUT = 600  # seconds for one command; none comes near it
# What the checkout's own distributions put into site-packages: left out of the links.
_OURS = ("publisher", "_editable_impl_publisher", "__pycache__")


def dependencies(folder: Path) -> Path:
    """A folder of links to every distribution installed here but Publisher's own."""
    folder.mkdir(parents=True, exist_ok=True)
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        if not entry.name.startswith(_OURS) and not entry.name.endswith(".pth"):
            (folder / entry.name).symlink_to(entry)
    return folder


@dataclass
class Venv:
    """A virtual environment made with `python -m venv`, and commands run in it."""

    root: Path

    @classmethod
    def create(cls, root: Path, dependencies: Path) -> Venv:
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(root)],
            check=True,
            timeout=TIMEOUT,
        )
        venv = cls(root)
        purelib = subprocess.run(
            [str(venv.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        ).stdout.strip()
        (Path(purelib) / "_installed_here.pth").write_text(f"{dependencies}\n")
        return venv

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    def env(self) -> dict[str, str]:
        """This process's environment without what points at the test suite's own setup."""
        dropped = ("PYTHONPATH", "VIRTUAL_ENV", "SMTP_URL", "EMAIL_SIGNING_KEY")
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in dropped and not key.startswith(("PUBLISHER_", "PIP_"))
        }
        env["PATH"] = f"{self.root / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        return env

    def pip(self, *args: str, cwd: Path = REPOSITORY) -> subprocess.CompletedProcess[str]:
        """`pip ARGS` for this environment, offline: no index, builds without isolation."""
        command = [sys.executable, "-m", "pip", "--python", str(self.python), *args]
        if args[0] in ("install", "wheel"):
            command += ["--no-index", "--no-build-isolation", "--no-cache-dir", "-q"]
        result = self.run(*command, cwd=cwd)
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def run(self, *args: str | Path, cwd: Path = REPOSITORY) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(arg) for arg in args],
            cwd=cwd,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )

    def publisher(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return self.run(self.root / "bin" / "publisher", *args, cwd=cwd)
