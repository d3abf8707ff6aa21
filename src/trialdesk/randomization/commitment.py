"""Commitment to an allocation list, and its verification.

Canonical serialization (version 1), UTF-8, every line ending in ``\\n``::

    trialdesk-allocation-list-v1
    salt:<salt as 64 lower-case hex digits>
    <sequence>,<stratum>,<arm>,<kit code>      one line per row, rows sorted by sequence number

``sequence`` is a decimal integer without leading zeros, the kit code is upper case as
``ABCD-EFGH``, whatever its scheme (``kit_codes``): look-alikes are never replaced here (in a list
made before issue 14, O and 0 are different characters), so such a list keeps its commitment.
Block numbers and sizes are descriptive and not committed; the file's column order,
line endings and surrounding spaces do not change the form. The commitment is the SHA-256 of
these bytes, so anyone can recompute it with ``sha256sum``.

The salt has 256 random bits: without it, a short list (a 20-patient list in blocks of 4 has
6^5 = 7,776 possible sequences) could be recovered from its hash by trying every candidate.

A *receipt* (kept with the list, or published with the commitment) holds one salted hash per row;
when a list no longer matches, it tells which row changed first.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .allocation_list import Allocation, AllocationList
from .kit_codes import format_kit_code

FORMAT = "trialdesk-allocation-list-v1"
SALT_BYTES = 32


@dataclass(frozen=True)
class Commitment:
    """A published commitment: the hash and the salt (kept secret until verification)."""

    commitment: str
    salt: str
    row_hashes: tuple[str, ...] = ()

    def receipt(self) -> dict[str, Any]:
        """Return the receipt as a JSON-serializable dict."""
        return {
            "format": FORMAT,
            "commitment": self.commitment,
            "row_hashes": list(self.row_hashes),
        }


@dataclass(frozen=True)
class Verification:
    """The outcome of a verification: ``match``, or the first row that differs if known."""

    match: bool
    first_difference: int | None = None  # sequence number of the first differing row
    message: str = ""


def new_salt() -> str:
    """Return a fresh 256-bit salt as hex."""
    return secrets.token_hex(SALT_BYTES)


def canonical_row(row: Allocation) -> str:
    """Return the canonical line of one row (without the newline)."""
    kit_code = format_kit_code(row.kit_code)
    return f"{int(row.sequence)},{row.stratum.strip()},{row.arm.strip()},{kit_code}"


def _sorted_rows(rows: Sequence[Allocation]) -> list[Allocation]:
    return sorted(rows, key=lambda row: int(row.sequence))


def canonical_form(allocation_list: AllocationList | Sequence[Allocation], salt: str) -> bytes:
    """Return the canonical serialization of the list with ``salt`` (hex)."""
    salt = _check_salt(salt)
    rows = allocation_list.rows if isinstance(allocation_list, AllocationList) else allocation_list
    lines = [FORMAT, f"salt:{salt}", *(canonical_row(row) for row in _sorted_rows(rows))]
    return ("\n".join(lines) + "\n").encode("utf-8")


def row_hash(row: Allocation, salt: str) -> str:
    """Return the salted hash of one row, as stored in the receipt."""
    return hashlib.sha256(f"{_check_salt(salt)}\n{canonical_row(row)}\n".encode()).hexdigest()


def commit_list(
    allocation_list: AllocationList | Sequence[Allocation], salt: str | None = None
) -> Commitment:
    """Return the commitment to the list, with a new random salt unless one is given."""
    salt = _check_salt(salt) if salt is not None else new_salt()
    rows = allocation_list.rows if isinstance(allocation_list, AllocationList) else allocation_list
    return Commitment(
        commitment=hashlib.sha256(canonical_form(rows, salt)).hexdigest(),
        salt=salt,
        row_hashes=tuple(row_hash(row, salt) for row in _sorted_rows(rows)),
    )


def verify_list(
    allocation_list: AllocationList | Sequence[Allocation],
    salt: str,
    commitment: str,
    receipt: dict[str, Any] | None = None,
) -> Verification:
    """Return whether the list matches ``commitment``; with a receipt, locate the first change."""
    rows = allocation_list.rows if isinstance(allocation_list, AllocationList) else allocation_list
    computed = commit_list(rows, salt)
    if hmac.compare_digest(computed.commitment, commitment.strip().lower()):
        return Verification(True, message="the list matches the commitment")
    if receipt is None:
        return Verification(
            False, message="the list does not match the commitment (give a receipt to find the row)"
        )
    if receipt.get("commitment") != commitment.strip().lower():
        return Verification(False, message="the receipt belongs to a different commitment")
    ordered = _sorted_rows(rows)
    expected = list(receipt.get("row_hashes", []))
    for index, row in enumerate(ordered):
        if index >= len(expected) or computed.row_hashes[index] != expected[index]:
            return Verification(
                False,
                first_difference=int(row.sequence),
                message=f"the first row that differs is sequence {row.sequence} "
                f"(row {index + 1} in sequence order)",
            )
    return Verification(
        False,
        message=f"the list ends after {len(ordered)} rows; the committed list had {len(expected)}",
    )


def _check_salt(salt: str) -> str:
    salt = salt.strip().lower()
    try:
        raw = bytes.fromhex(salt)
    except ValueError:
        raise ValueError("salt: must be hexadecimal") from None
    if len(raw) != SALT_BYTES:
        raise ValueError(f"salt: must be {SALT_BYTES * 8} bits ({SALT_BYTES * 2} hex digits)")
    return salt
