"""The secret seed: read from a file, created with 256 random bits (mode 0600) if absent.

The seed is never taken from the command line, where it would land in shell history.
"""

from __future__ import annotations

import os
import secrets
import warnings
from pathlib import Path

SEED_BYTES = 32


class SeedPermissionWarning(UserWarning):
    """The seed file is readable by users other than its owner."""


def read_or_create_seed(path: str | os.PathLike[str]) -> tuple[bytes, bool]:
    """Return (seed, created). A new file holds the seed as 64 hex digits and a newline.

    An existing file may hold hex digits (whitespace ignored) or raw bytes; either must carry at
    least 128 bits.
    """
    path = Path(path)
    if not path.exists():
        seed = secrets.token_bytes(SEED_BYTES)
        # O_EXCL: never overwrite a seed that appeared meanwhile; 0o600: only the owner reads it.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(seed.hex() + "\n")
        return seed, True
    if path.stat().st_mode & 0o077:
        warnings.warn(
            f"{path} can be read by other users; restrict it with chmod 600",
            SeedPermissionWarning,
            stacklevel=2,
        )
    content = path.read_bytes()
    text = content.decode("ascii", errors="ignore").strip()
    try:
        seed = bytes.fromhex("".join(text.split())) if text else b""
    except ValueError:
        seed = content
    if len(seed) < 16:
        raise ValueError(f"{path}: the seed must hold at least 128 bits (32 hex digits)")
    return seed, False
