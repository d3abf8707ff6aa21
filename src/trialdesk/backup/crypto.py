"""The encrypted file format: a header, then AES-256-GCM chunks, each bound to its position.

    header  magic "TDBACKUP" | version | kdf | log2(scrypt N) | r | p | salt (16) | key check (16)
            | compression | chunk size (u32)
    chunk   flag (1: last chunk, else 0) | length (u32) | AES-GCM ciphertext + tag

The key is the 32 bytes of a key file, or scrypt(passphrase, salt); HKDF-SHA256 with the file's
own salt turns it into this file's encryption key and a 16-byte key check, so that a wrong
passphrase is told apart from a damaged file, and one key file can encrypt many backups without
two of them sharing a (key, nonce) pair. Chunk ``i`` is encrypted with the nonce ``i`` and
authenticated together with the whole header, ``i`` and its flag: a chunk moved, dropped, altered
or appended, a file cut short, or a header changed, fails to authenticate. Each chunk holds at
most ``chunk size`` bytes of plaintext (compressed with zlib first when the header says so), so
neither side ever holds more than one chunk in memory.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import secrets
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from trialdesk.backup.errors import BackupError, DamagedBackupError, NotABackupError, WrongKeyError

MAGIC = b"TDBACKUP"
VERSION = 1
KDF_SCRYPT = 1
KDF_KEY_FILE = 2
COMPRESSION_NONE = 0
COMPRESSION_ZLIB = 1
HEADER = struct.Struct(">8sBBBBB16s16sBI")
FRAME = struct.Struct(">BI")
TAG_BYTES = 16
KEY_BYTES = 32
CHUNK_SIZE = 1 << 20  # 1 MiB of plaintext per chunk
MAX_CHUNK_SIZE = 1 << 26
# scrypt: N = 2**17, r = 8, p = 1 (128 MiB, the OWASP recommendation for scrypt)
SCRYPT_LOG2_N = 17
SCRYPT_R = 8
SCRYPT_P = 1
MAX_SCRYPT_MEMORY = 1 << 30  # a forged header must not make a reader allocate more
MIN_PASSPHRASE = 12
HKDF_INFO = b"trialdesk backup v1: encryption key and key check"
ZLIB_LEVEL = 1  # fast: the server's CPU is shared with the running trial


@dataclass(frozen=True)
class KeySource:
    """Where the secret comes from: a passphrase (scrypt) or a 32-byte key file."""

    passphrase: bytes | None = None
    key: bytes | None = None
    described: str = ""  # "the passphrase of FILE" / "the key file FILE", for messages

    @property
    def kdf(self) -> int:
        return KDF_SCRYPT if self.passphrase is not None else KDF_KEY_FILE


def read_passphrase_file(path: Path) -> KeySource:
    """The passphrase in ``path`` (its first line, the line break removed)."""
    try:
        text = path.read_bytes()
    except OSError as error:
        raise BackupError(f"cannot read the passphrase file {path}: {error.strerror}") from None
    lines = text.splitlines()
    passphrase = lines[0] if lines else b""
    if len(passphrase) < MIN_PASSPHRASE:
        raise BackupError(f"the passphrase in {path} is shorter than {MIN_PASSPHRASE} characters")
    return KeySource(passphrase=passphrase, described=f"the passphrase of {path}")


def read_key_file(path: Path) -> KeySource:
    """The key in ``path``: 32 raw bytes, or their 64 hex digits or base64 text."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BackupError(f"cannot read the key file {path}: {error.strerror}") from None
    key = data if len(data) == KEY_BYTES else _decoded_key(data.strip())
    if key is None:
        raise BackupError(f"the key file {path} does not hold a key: write 32 random bytes, "
                          "raw or as 64 hex digits (`trialdesk backup --new-key-file FILE`)")
    return KeySource(key=key, described=f"the key file {path}")


def _decoded_key(text: bytes) -> bytes | None:
    for decode in (bytes.fromhex, base64.b64decode, base64.urlsafe_b64decode):
        try:
            key = decode(text.decode("ascii"))
        except (ValueError, UnicodeDecodeError, binascii.Error):
            continue
        if len(key) == KEY_BYTES:
            return key
    return None


def new_key_file(path: Path) -> None:
    """Write a new random key (64 hex digits) to ``path``, readable by its owner only."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"{path} exists: a key file is never overwritten") from None
    except OSError as error:
        raise BackupError(f"cannot write the key file {path}: {error.strerror}") from None
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_hex(KEY_BYTES) + "\n")


@dataclass(frozen=True)
class Header:
    kdf: int
    log2_n: int
    r: int
    p: int
    salt: bytes
    key_check: bytes
    compression: int
    chunk_size: int

    def pack(self) -> bytes:
        return HEADER.pack(MAGIC, VERSION, self.kdf, self.log2_n, self.r, self.p, self.salt,
                           self.key_check, self.compression, self.chunk_size)


def _derive(source: KeySource, kdf: int, log2_n: int, r: int, p: int,
            salt: bytes) -> tuple[bytes, bytes]:
    """Return (encryption key, key check) for ``source`` and the header's parameters."""
    if kdf == KDF_SCRYPT:
        if source.passphrase is None:
            raise WrongKeyError("this backup was encrypted with a passphrase: give "
                                "--passphrase-file, not --key-file")
        master = Scrypt(salt=salt, length=KEY_BYTES, n=2 ** log2_n, r=r, p=p).derive(
            source.passphrase)
    elif kdf == KDF_KEY_FILE:
        if source.key is None:
            raise WrongKeyError("this backup was encrypted with a key file: give --key-file, "
                                "not --passphrase-file")
        master = source.key
    else:
        raise DamagedBackupError(f"unknown key derivation {kdf} in the header")
    material = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES + 16, salt=salt,
                    info=HKDF_INFO).derive(master)
    return material[:KEY_BYTES], material[KEY_BYTES:]


def _nonce(index: int) -> bytes:
    return b"\0\0\0\0" + index.to_bytes(8, "big")


def _aad(header: bytes, index: int, last: bool) -> bytes:
    return header + index.to_bytes(8, "big") + bytes([last])


class EncryptingWriter:
    """A write-only file object: what is written goes out encrypted, one chunk at a time.

    ``close()`` writes the last chunk (flagged as such) and must be called, or the file reads
    as truncated.
    """

    def __init__(self, out: BinaryIO, source: KeySource, *, compress: bool = True,
                 chunk_size: int = CHUNK_SIZE, log2_n: int = SCRYPT_LOG2_N) -> None:
        salt = secrets.token_bytes(16)
        kdf = source.kdf
        params = (log2_n, SCRYPT_R, SCRYPT_P) if kdf == KDF_SCRYPT else (0, 0, 0)
        key, check = _derive(source, kdf, *params, salt)
        self._header = Header(kdf, *params, salt, check,
                              COMPRESSION_ZLIB if compress else COMPRESSION_NONE,
                              chunk_size).pack()
        self._aead = AESGCM(key)
        self._out = out
        self._chunk_size = chunk_size
        self._compress = compress
        self._buffer = bytearray()
        self._index = 0
        self._closed = False
        out.write(self._header)

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:
        self._buffer += data
        while len(self._buffer) > self._chunk_size:  # keep one back: it may be the last
            self._emit(bytes(self._buffer[: self._chunk_size]), last=False)
            del self._buffer[: self._chunk_size]
        return len(data)

    def flush(self) -> None:
        self._out.flush()

    def close(self) -> None:
        if not self._closed:
            self._emit(bytes(self._buffer), last=True)
            self._buffer.clear()
            self._closed = True
            self._out.flush()

    def _emit(self, plaintext: bytes, *, last: bool) -> None:
        if self._compress:
            plaintext = zlib.compress(plaintext, ZLIB_LEVEL)
        sealed = self._aead.encrypt(_nonce(self._index), plaintext,
                                    _aad(self._header, self._index, last))
        self._out.write(FRAME.pack(int(last), len(sealed)) + sealed)
        self._index += 1


class DecryptingReader:
    """A read-only file object over an encrypted backup; every chunk is authenticated before
    any of its bytes is returned. Raise ``WrongKeyError`` (in the constructor) for a key that
    does not open the file and ``DamagedBackupError`` for any alteration."""

    def __init__(self, raw: BinaryIO, source: KeySource) -> None:
        head = raw.read(HEADER.size)
        if len(head) < len(MAGIC) or head[: len(MAGIC)] != MAGIC:
            raise NotABackupError("this is not a trialdesk backup (it does not start with "
                                  f"{MAGIC.decode()})")
        if len(head) < HEADER.size:
            raise DamagedBackupError("the file is truncated: it ends inside its header")
        (_, version, kdf, log2_n, r, p, salt, check, compression,
         chunk_size) = HEADER.unpack(head)
        if version != VERSION:
            raise BackupError(f"backup format version {version}: this trialdesk reads "
                              f"version {VERSION}")
        if compression not in (COMPRESSION_NONE, COMPRESSION_ZLIB) or not (
                0 < chunk_size <= MAX_CHUNK_SIZE) or (kdf == KDF_SCRYPT and not (
                10 <= log2_n <= 22 and 0 < r <= 32 and 0 < p <= 16
                and 128 * r * 2 ** log2_n <= MAX_SCRYPT_MEMORY)):
            raise DamagedBackupError("the header is damaged (impossible parameters)")
        key, expected = _derive(source, kdf, log2_n, r, p, salt)
        if not hmac.compare_digest(check, expected):
            raise WrongKeyError(f"{source.described or 'the key'} does not open this backup "
                                "(wrong passphrase or key, or a damaged header)")
        self._header = head
        self._aead = AESGCM(key)
        self._raw = raw
        self._chunk_size = chunk_size
        self._compressed = compression == COMPRESSION_ZLIB
        self._index = 0
        self._buffer = b""
        self._offset = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all the rest when negative); fewer at the end of a chunk."""
        if size < 0:
            parts = [self._buffer[self._offset:]]
            while not self._done:
                parts.append(self._next_chunk())
            self._buffer, self._offset = b"", 0
            return b"".join(parts)
        while self._offset >= len(self._buffer) and not self._done:
            self._buffer, self._offset = self._next_chunk(), 0
        data = self._buffer[self._offset:self._offset + size]
        self._offset += len(data)
        return data

    def _next_chunk(self) -> bytes:
        index = self._index
        frame = self._raw.read(FRAME.size)
        if len(frame) < FRAME.size:
            raise DamagedBackupError(f"the file is truncated: it ends after chunk {index - 1} "
                                     "without its last chunk")
        flag, length = FRAME.unpack(frame)
        most = self._chunk_size + self._chunk_size // 1000 + 64 + TAG_BYTES  # zlib may grow it
        if flag not in (0, 1) or length > most:
            raise DamagedBackupError(f"chunk {index} is damaged (impossible frame)")
        sealed = self._raw.read(length)
        if len(sealed) < length:
            raise DamagedBackupError(f"the file is truncated: it ends inside chunk {index}")
        try:
            plaintext = self._aead.decrypt(_nonce(index), sealed,
                                           _aad(self._header, index, bool(flag)))
        except InvalidTag:
            raise DamagedBackupError(
                f"chunk {index} does not authenticate: the file was altered, or its chunks "
                "reordered, after it was written") from None
        if self._compressed:
            plaintext = self._inflate(plaintext, index)
        self._index += 1
        if flag:
            if self._raw.read(1):
                raise DamagedBackupError(f"data follows the last chunk ({index})")
            self._done = True
        return plaintext

    def _inflate(self, data: bytes, index: int) -> bytes:
        inflater = zlib.decompressobj()
        try:
            plaintext = inflater.decompress(data, self._chunk_size + 1)
        except zlib.error:
            raise DamagedBackupError(f"chunk {index} does not decompress") from None
        if len(plaintext) > self._chunk_size or not inflater.eof:
            raise DamagedBackupError(f"chunk {index} is larger than the header allows")
        return plaintext
