"""The backup's content: a tar stream (inside the encryption) ending with ``manifest.json``.

Members: ``database/trialdesk.sqlite3`` or ``database/trialdesk.pgdump``, ``files/<path>`` for
each data directory file, then ``manifest.json``: format and version, when it was made, the
database's kind, every member's size and SHA-256, and the audit head of the copied database.
The manifest comes last because its hashes are those of the bytes streamed before it: nothing
is read twice, and a file changed while it was copied cannot disagree with its hash.

Reading extracts into a private staging folder, checks each member against the manifest, and
refuses any member that is not a plain relative file: only then does a restore move anything
into place.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from trialdesk.backup.crypto import DecryptingReader, EncryptingWriter, KeySource
from trialdesk.backup.errors import BackupError, DamagedBackupError

MANIFEST = "manifest.json"
FORMAT = "trialdesk-backup"
MANIFEST_VERSION = 1
COPY_BLOCK = 1 << 20

Advance = Callable[[int], None]  # bytes just copied, for a progress bar


@dataclass(frozen=True)
class Member:
    name: str  # "database/..." or "files/..."
    path: Path


class _Hashing:
    """A read-only file wrapper that hashes and counts what is read through it."""

    def __init__(self, raw: BinaryIO, advance: Advance | None) -> None:
        self._raw = raw
        self._advance = advance
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.sha256.update(data)
        self.size += len(data)
        if self._advance is not None:
            self._advance(len(data))
        return data


def write_backup(out: BinaryIO, source: KeySource, members: list[Member],
                 manifest: dict[str, Any], advance: Advance | None = None) -> dict[str, Any]:
    """Write the encrypted archive of ``members`` to ``out``; return the completed manifest
    (``manifest`` plus each member's size and SHA-256 under ``members``)."""
    writer = EncryptingWriter(out, source)
    entries = []
    with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as archive:
        for member in members:
            try:
                with member.path.open("rb") as raw:
                    info = archive.gettarinfo(fileobj=raw, arcname=member.name)
                    info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
                    hashing = _Hashing(raw, advance)
                    archive.addfile(info, hashing)
            except OSError as error:
                raise BackupError(f"cannot read {member.path}: {error.strerror or error}") from None
            entries.append({"name": member.name, "size": hashing.size,
                            "sha256": hashing.sha256.hexdigest()})
        complete = {**manifest, "members": entries}
        body = json.dumps(complete, indent=2, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode, info.mtime = len(body), 0o600, int(time.time())
        archive.addfile(info, io.BytesIO(body))
    writer.close()
    return complete


def new_manifest(database_kind: str, audit_head: dict[str, Any] | None,
                 secret_files: list[str], version: str) -> dict[str, Any]:
    return {"format": FORMAT, "version": MANIFEST_VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "trialdesk_version": version, "database": database_kind,
            "audit_head": audit_head, "secret_files": secret_files}


def _safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if (path.is_absolute() or ".." in path.parts or not path.parts
            or path.parts[0] not in ("database", "files") or len(path.parts) < 2):
        raise DamagedBackupError(f"the archive holds an unexpected member {name!r}")
    return path


def read_backup(raw: BinaryIO, source: KeySource, staging: Path,
                advance: Advance | None = None) -> dict[str, Any]:
    """Decrypt the archive into ``staging`` (an empty private folder); check every member
    against the manifest; return the manifest. Raise a ``BackupError`` for anything wrong."""
    reader = DecryptingReader(raw, source)
    seen: dict[str, dict[str, Any]] = {}
    manifest: dict[str, Any] | None = None
    try:
        with tarfile.open(fileobj=reader, mode="r|") as archive:
            for info in archive:
                if manifest is not None:
                    raise DamagedBackupError(f"a member ({info.name!r}) follows the manifest")
                if not info.isfile():
                    raise DamagedBackupError(f"the archive holds a non-file member {info.name!r}")
                if info.name == MANIFEST:
                    manifest = _parse_manifest(archive.extractfile(info).read())
                    continue
                relative = _safe_name(info.name)
                if info.name in seen:
                    raise DamagedBackupError(f"the archive holds {info.name!r} twice")
                seen[info.name] = _extract(archive.extractfile(info), staging / relative,
                                           advance)
    except tarfile.TarError as error:
        raise DamagedBackupError(f"the archive inside the backup is damaged: {error}") from None
    if manifest is None:
        raise DamagedBackupError("the backup has no manifest (it was cut short while written)")
    listed = {entry["name"]: entry for entry in manifest["members"]}
    if set(listed) != set(seen):
        raise DamagedBackupError("the files do not match the manifest: "
                                 f"{sorted(set(listed) ^ set(seen))}")
    for name, entry in listed.items():
        if (entry["size"], entry["sha256"]) != (seen[name]["size"], seen[name]["sha256"]):
            raise DamagedBackupError(f"{name}: its SHA-256 differs from the manifest's")
    return manifest


def _parse_manifest(body: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(body)
        if manifest["format"] != FORMAT or not isinstance(manifest["members"], list):
            raise ValueError("not a trialdesk backup manifest")
    except (ValueError, KeyError, TypeError) as error:
        raise DamagedBackupError(f"the manifest is unreadable: {error}") from None
    if manifest["version"] != MANIFEST_VERSION:
        raise BackupError(f"manifest version {manifest['version']}: this trialdesk reads "
                          f"version {MANIFEST_VERSION}")
    return manifest


def _extract(raw: BinaryIO, target: Path, advance: Advance | None) -> dict[str, Any]:
    """Copy one member to ``target`` (0600, folders 0700); return its size and SHA-256."""
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    hashing = _Hashing(raw, advance)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        while block := hashing.read(COPY_BLOCK):
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    return {"size": hashing.size, "sha256": hashing.sha256.hexdigest()}
