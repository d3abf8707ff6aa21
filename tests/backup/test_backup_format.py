"""The encrypted backup format (``trialdesk.backup.crypto`` and ``archive``), without a server.

Every alteration an attacker or a failing disk can make is refused with its own message: a wrong
key or passphrase, a flipped byte, a file cut short (at a chunk boundary or inside one), chunks
swapped or dropped, data appended, a chunk that claims to be the last. The stream holds one
chunk in memory at a time.
"""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from pathlib import Path

import pytest

from trialdesk.backup.archive import Member, new_manifest, read_backup, write_backup
from trialdesk.backup.crypto import (
    FRAME,
    HEADER,
    DecryptingReader,
    EncryptingWriter,
    KeySource,
    new_key_file,
    read_key_file,
    read_passphrase_file,
)
from trialdesk.backup.errors import (
    BackupError,
    DamagedBackupError,
    NotABackupError,
    WrongKeyError,
)

KEY = KeySource(key=bytes(range(32)), described="the test key")
CHUNK = 64  # small chunks: many of them in a few hundred bytes


def _encrypt(data: bytes, source: KeySource = KEY, *, compress: bool = True,
             log2_n: int = 17) -> bytes:
    out = io.BytesIO()
    writer = EncryptingWriter(out, source, compress=compress, chunk_size=CHUNK, log2_n=log2_n)
    for start in range(0, len(data), 37):  # writes that do not line up with chunks
        writer.write(data[start:start + 37])
    writer.close()
    return out.getvalue()


def _decrypt(blob: bytes, source: KeySource = KEY) -> bytes:
    reader = DecryptingReader(io.BytesIO(blob), source)
    parts = []
    while part := reader.read(50):
        parts.append(part)
    return b"".join(parts)


def _frames(blob: bytes) -> list[tuple[int, int]]:
    """(offset, length in bytes) of each chunk's frame, read from the format's layout."""
    frames, offset = [], HEADER.size
    while offset < len(blob):
        _, length = FRAME.unpack_from(blob, offset)
        frames.append((offset, FRAME.size + length))
        offset += FRAME.size + length
    return frames


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 10 * CHUNK + 3])
@pytest.mark.parametrize("compress", [True, False])
def test_round_trip(size, compress):
    data = os.urandom(size)
    blob = _encrypt(data, compress=compress)
    assert _decrypt(blob) == data
    assert data[:16] not in blob[HEADER.size:] or size < 16  # no plaintext in the file
    assert len(_frames(blob)) == max(1, -(-size // CHUNK))  # one chunk per CHUNK bytes


def test_a_wrong_key_is_refused_as_such():
    blob = _encrypt(b"allocations" * 20)
    other = KeySource(key=bytes(32), described="the key file other.key")
    with pytest.raises(WrongKeyError, match=r"the key file other\.key does not open this backup"):
        _decrypt(blob, other)


def test_a_wrong_passphrase_is_refused_as_such():
    right = KeySource(passphrase=b"correct horse battery staple", described="the passphrase")
    blob = _encrypt(b"allocations" * 20, right, log2_n=12)
    assert _decrypt(blob, right) == b"allocations" * 20
    wrong = KeySource(passphrase=b"correct horse battery stapler", described="the passphrase")
    with pytest.raises(WrongKeyError, match="wrong passphrase or key"):
        _decrypt(blob, wrong)
    with pytest.raises(WrongKeyError, match="encrypted with a passphrase: give --passphrase-file"):
        _decrypt(blob, KEY)
    with pytest.raises(WrongKeyError, match="encrypted with a key file"):
        _decrypt(_encrypt(b"x"), right)


def test_every_flipped_byte_is_refused():
    data = os.urandom(3 * CHUNK + 5)
    blob = _encrypt(data)
    for position in range(len(blob)):
        damaged = bytearray(blob)
        damaged[position] ^= 0x01
        with pytest.raises(BackupError):
            _decrypt(bytes(damaged))


def test_a_flipped_byte_in_a_chunk_names_the_chunk():
    blob = bytearray(_encrypt(os.urandom(4 * CHUNK)))
    offset, length = _frames(bytes(blob))[2]
    blob[offset + length - 1] ^= 0x80
    with pytest.raises(DamagedBackupError, match="chunk 2 does not authenticate"):
        _decrypt(bytes(blob))


def test_a_truncated_file_is_refused():
    blob = _encrypt(os.urandom(4 * CHUNK))
    frames = _frames(blob)
    at_a_boundary = blob[: frames[-1][0]]  # the last chunk dropped: every other one is sound
    with pytest.raises(DamagedBackupError, match="truncated: it ends after chunk 2 without its "
                                                 "last chunk"):
        _decrypt(at_a_boundary)
    with pytest.raises(DamagedBackupError, match="truncated: it ends inside chunk 1"):
        _decrypt(blob[: frames[1][0] + 10])
    with pytest.raises(DamagedBackupError, match="inside its header"):
        _decrypt(blob[: HEADER.size - 1])


def test_swapped_chunks_are_refused():
    blob = _encrypt(os.urandom(4 * CHUNK))
    (a, la), (b, lb) = _frames(blob)[1:3]
    swapped = blob[:a] + blob[b:b + lb] + blob[a:a + la] + blob[b + lb:]
    assert sorted(swapped) == sorted(blob) and swapped != blob
    with pytest.raises(DamagedBackupError, match=r"chunk 1 does not authenticate: .* reordered"):
        _decrypt(swapped)


def test_a_chunk_claiming_to_be_the_last_and_appended_data_are_refused():
    blob = bytearray(_encrypt(os.urandom(3 * CHUNK)))
    offset, _ = _frames(bytes(blob))[0]
    early_end = bytearray(blob)
    early_end[offset] = 1  # the flag is authenticated with the chunk
    with pytest.raises(DamagedBackupError, match="chunk 0 does not authenticate"):
        _decrypt(bytes(early_end))
    with pytest.raises(DamagedBackupError, match="data follows the last chunk"):
        _decrypt(bytes(blob) + b"\0")


def test_a_chunk_from_another_backup_with_the_same_key_is_refused():
    """Each file has its own salt, so its own key: chunks cannot be spliced between backups."""
    one, two = _encrypt(b"a" * 3 * CHUNK), _encrypt(b"b" * 3 * CHUNK)
    (offset, length) = _frames(one)[1]
    spliced = one[:offset] + two[offset:offset + length] + one[offset + length:]
    with pytest.raises(DamagedBackupError, match="chunk 1 does not authenticate"):
        _decrypt(spliced)


def test_not_a_backup():
    with pytest.raises(NotABackupError, match="not a trialdesk backup"):
        _decrypt(b"SQLite format 3\0" + bytes(100))


def test_the_stream_holds_one_chunk_at_a_time():
    """32 MiB through writer and reader with 1 MiB chunks: the peak of Python allocations
    stays a few chunks high, not the size of the data."""
    piece = os.urandom(1 << 20)
    sink = io.BytesIO()
    tracemalloc.start()
    try:
        writer = EncryptingWriter(sink, KEY)
        for _ in range(32):
            writer.write(piece)
        writer.close()
        writing_peak = tracemalloc.get_traced_memory()[1]
        sink.seek(0)
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        reader = DecryptingReader(sink, KEY)
        count = 0
        while part := reader.read(1 << 16):
            count += len(part)
        reading_peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert count == 32 << 20
    # writing: the sink (a BytesIO, itself 32 MiB) is counted; beyond it, a few chunks
    assert writing_peak - len(sink.getvalue()) < 8 << 20
    assert reading_peak < 8 << 20


def test_key_files(tmp_path):
    path = tmp_path / "backup.key"
    new_key_file(path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert len(read_key_file(path).key) == 32
    with pytest.raises(BackupError, match="never overwritten"):
        new_key_file(path)
    raw = tmp_path / "raw.key"
    raw.write_bytes(bytes(range(32)))
    assert read_key_file(raw).key == bytes(range(32))
    bad = tmp_path / "bad.key"
    bad.write_text("not a key\n")
    with pytest.raises(BackupError, match="does not hold a key"):
        read_key_file(bad)
    short = tmp_path / "short"
    short.write_text("too short\n")
    with pytest.raises(BackupError, match="shorter than 12 characters"):
        read_passphrase_file(short)
    fine = tmp_path / "fine"
    fine.write_text("a passphrase long enough\nsecond line ignored\n")
    assert read_passphrase_file(fine).passphrase == b"a passphrase long enough"


def test_the_manifest_lists_every_member_with_its_sha256(tmp_path):
    database = tmp_path / "copy.sqlite3"
    database.write_bytes(os.urandom(5000))
    seed = tmp_path / "allocation-seed"
    seed.write_text("ab" * 32)
    members = [Member("database/trialdesk.sqlite3", database),
               Member("files/allocation-seed", seed)]
    out = io.BytesIO()
    head = {"seq": 7, "hash": "f" * 64, "at": "2026-12-03 10:00:00"}
    written = write_backup(out, KEY, members,
                           new_manifest("sqlite", head, ["allocation-seed"], "test"))
    staging = tmp_path / "staging"
    staging.mkdir()
    out.seek(0)
    manifest = read_backup(out, KEY, staging)
    assert manifest == written
    assert manifest["audit_head"] == head and manifest["database"] == "sqlite"
    expected = {m.name: hashlib.sha256(m.path.read_bytes()).hexdigest() for m in members}
    assert {m["name"]: m["sha256"] for m in manifest["members"]} == expected
    assert (staging / "files" / "allocation-seed").read_text() == "ab" * 32
    assert oct((staging / "database" / "trialdesk.sqlite3").stat().st_mode & 0o777) == "0o600"


def test_a_member_outside_the_archive_folders_is_refused(tmp_path):
    evil = tmp_path / "evil"
    evil.write_text("x")
    out = io.BytesIO()
    write_backup(out, KEY, [Member("../../etc/cron.d/evil", evil)],
                 new_manifest("sqlite", None, [], "test"))
    staging = tmp_path / "staging"
    staging.mkdir()
    out.seek(0)
    with pytest.raises(DamagedBackupError, match="unexpected member"):
        read_backup(out, KEY, staging)
    assert list(staging.iterdir()) == [] and not (tmp_path.parent / "etc").exists()


def test_scheduled_names_and_retention(tmp_path: Path):
    from datetime import UTC, datetime, timedelta

    from trialdesk.backup.retention import prune, scheduled_backups, scheduled_name

    start = datetime(2026, 12, 3, 23, 59, 58, tzinfo=UTC)
    assert scheduled_name(start) == "trialdesk-20261203T235958Z.tdbackup"
    names = [scheduled_name(start + timedelta(hours=hours)) for hours in (5, 0, 3, 1)]
    for name in names:
        (tmp_path / name).write_bytes(b"backup")
    (tmp_path / "notes.txt").write_text("kept")
    (tmp_path / "trialdesk-latest.tdbackup").write_text("not a scheduled name: kept")
    deleted = prune(tmp_path, 2)
    assert [path.name for path in deleted] == [
        "trialdesk-20261203T235958Z.tdbackup", "trialdesk-20261204T005958Z.tdbackup"]
    assert [path.name for path in scheduled_backups(tmp_path)] == [
        "trialdesk-20261204T025958Z.tdbackup", "trialdesk-20261204T045958Z.tdbackup"]
    assert (tmp_path / "notes.txt").exists() and (tmp_path / "trialdesk-latest.tdbackup").exists()
    assert prune(tmp_path, 5) == []


def test_a_forged_header_cannot_make_the_reader_allocate_gigabytes():
    """scrypt's memory is 128 * r * N bytes: a header asking for more than 1 GiB is refused
    before any key is derived (the honest default is 128 MiB)."""
    source = KeySource(passphrase=b"correct horse battery staple", described="the passphrase")
    forged = bytearray(_encrypt(b"data", source, log2_n=12))
    forged[10], forged[11] = 22, 32  # log2(N), r: 16 GiB
    with pytest.raises(DamagedBackupError, match="impossible parameters"):
        _decrypt(bytes(forged), source)
