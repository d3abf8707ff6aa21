"""The secret seed of the source data verification plan (issue 16).

The plan samples records by a draw made from this seed (``trialdesk.monitoring.sdv_plan``): a site
that knew it could compute which of its forms a monitor will verify, and take care of those only.
So the seed is never in the published protocol file. It comes from the confidential file beside
the allocation seed (``[monitoring] seed`` in ``randomization.confidential.toml``), or else from
``sdv-plan-seed`` in the data directory: 256 random bits made on first use, like the allocation
seed, kept with the database (mode 0600), never a constant. No page, API answer, export or audit
record carries it; it stays the same for the life of the data directory, so the plan is
reproducible by whoever holds the directory.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings

from trialdesk.web.core.protocol import get_protocol

SEED_FILE = "sdv-plan-seed"
SEED_BYTES = 32


def seed_path() -> Path:
    return Path(settings.DATA_DIR) / SEED_FILE


def write_seed_once(path: Path, text: str) -> bool:
    """Write ``text`` as the seed at ``path`` unless a seed is there; return whether it wrote.

    Written to a private temporary file and linked into place: a concurrent first use (several
    server workers) finds either no file or a complete one, and the first link wins.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text + "\n")
    try:
        os.link(temporary, path)
        return True
    except FileExistsError:
        return False
    finally:
        temporary.unlink()


def plan_seed() -> str:
    """The plan's seed: the confidential file's, else the data directory's (made if absent)."""
    plan = get_protocol().monitoring
    if plan is not None and plan.seed:
        return plan.seed
    path = seed_path()
    if not path.exists():
        write_seed_once(path, secrets.token_hex(SEED_BYTES))
    text = path.read_text(encoding="ascii").strip()
    if len(text) < 32:
        raise RuntimeError(f"{path}: the plan's seed must hold at least 128 bits (32 hex digits)")
    return text
