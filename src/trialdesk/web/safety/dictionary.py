"""The sponsor's MedDRA release, for coding: loaded once (``do_load_dictionary``), read by the
coding queue.

MedDRA is licensed, so the server ships none: the sponsor loads its own release's ASCII files
(``trialdesk.safety.meddra`` reads and checks them). A checked release is copied into the data
directory (``<DATA_DIR>/meddra/``), the audit trail records who loaded which release (its files'
SHA-256 and its term counts), and the coding queue searches it; without one, terms stay verbatim
and are coded by hand (codes and names typed in), or later.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from pathlib import Path

from django.conf import settings

from trialdesk.safety.meddra import FILES, MeddraDictionary, MeddraError, load_meddra
from trialdesk.web.core.actions import action
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import InvalidInput

FOLDER = "meddra"

_cache: dict[str, tuple[float, MeddraDictionary]] = {}
_cache_lock = threading.Lock()


def dictionary_folder() -> Path:
    return Path(settings.DATA_DIR) / FOLDER


def _stamp(folder: Path) -> float:
    return max((folder / name).stat().st_mtime for name in FILES)


def current_dictionary() -> MeddraDictionary | None:
    """The loaded release (read once per process, again after a new load), or None."""
    folder = dictionary_folder()
    if not all((folder / name).is_file() for name in FILES):
        return None
    stamp = _stamp(folder)
    with _cache_lock:
        cached = _cache.get(str(folder))
        if cached is None or cached[0] != stamp:
            cached = (stamp, load_meddra(folder))
            _cache[str(folder)] = cached
        return cached[1]


def release_digest(folder: Path) -> str:
    """One SHA-256 over the release's files, in their fixed order (names and contents)."""
    digest = hashlib.sha256()
    for name in FILES:
        digest.update(name.encode() + b"\0" + (folder / name).read_bytes() + b"\0")
    return digest.hexdigest()


@action(None)
def do_load_dictionary(*, actor: str, folder: str | Path) -> dict[str, int | str]:
    """Check a MedDRA release (its ``MedAscii`` folder) and make it the coding dictionary.

    A release that cannot be read is refused naming the file and line (InvalidInput on
    ``meddra``), and nothing changes. ``actor``: the operator at the command line.
    """
    source = Path(folder)
    try:
        release = load_meddra(source)
    except MeddraError as error:
        raise InvalidInput("meddra", str(error)) from None
    target = dictionary_folder()
    old = current_dictionary()
    counts = {"llts": len(release.llts), "pts": len(release.pts), "socs": len(release.socs)}
    digest = release_digest(source)
    old_digest = release_digest(target) if old is not None else None
    append_audit(actor=actor, action="load_dictionary", model="meddra", object_id=digest[:16],
                 changes={"sha256": {"old": old_digest, "new": digest},
                          "llts": {"old": len(old.llts) if old else None,
                                   "new": counts["llts"]}},
                 reason=f"MedDRA release from {source.name or source}")
    # copied last, into a fresh folder swapped in whole: a failure leaves the old release
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".meddra-", dir=target.parent))
    try:
        for name in FILES:
            found = next(p for p in source.iterdir() if p.name.lower() == name)
            shutil.copyfile(found, staging / name)
        if target.exists():
            retired = target.with_name(f".meddra-old-{os.getpid()}")
            os.replace(target, retired)
            os.replace(staging, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {**counts, "sha256": digest}


def load_dictionary_from_command_line(folder: str) -> dict[str, int | str]:
    """What ``trialdesk safety load-dictionary --meddra DIR`` runs (Django set up by the
    caller): load the release as the operator at the command line."""
    return do_load_dictionary(actor="cli", folder=folder)
