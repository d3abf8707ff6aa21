"""The server's data directory: where the SQLite database and the generated secret key live."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

DEFAULT_DATA_DIR = "trialdesk-data"


def data_dir() -> Path:
    """Return the data directory (``TRIALDESK_DATA_DIR``, default ``./trialdesk-data``), created."""
    path = Path(os.environ.get("TRIALDESK_DATA_DIR", DEFAULT_DATA_DIR)).resolve()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _make_private(path)
    return path


def _make_private(path: Path) -> None:
    # The folder holds the database (every slot's arm), the secret key and the seed; SQLite
    # creates its files with the umask (often world-readable), so only a private folder keeps
    # other accounts out. A sticky shared folder (/tmp) or someone else's is left alone.
    info = path.stat()
    if info.st_mode & 0o077 and not info.st_mode & stat.S_ISVTX and info.st_uid == os.getuid():
        path.chmod(0o700)


def secret_key(folder: Path) -> str:
    """Return the Django secret key stored in ``folder``, generating it on first run.

    The key never lives in the code or the repository; ``O_EXCL`` makes concurrent first runs
    (several gunicorn workers) agree on one key instead of overwriting each other.
    """
    path = folder / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()
