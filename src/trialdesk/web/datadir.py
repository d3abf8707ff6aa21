"""The server's data directory: where the SQLite database and the generated secret key live."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

DEFAULT_DATA_DIR = "trialdesk-data"


def data_dir() -> Path:
    """Return the data directory (``TRIALDESK_DATA_DIR``, default ``./trialdesk-data``), created."""
    path = Path(os.environ.get("TRIALDESK_DATA_DIR", DEFAULT_DATA_DIR)).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


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
