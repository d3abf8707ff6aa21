"""CSV export and validated import of allocation lists.

trialdesk's own format has the columns ``sequence, stratum, arm, block, block_size, kit_code``
(any order; ``block`` and ``block_size`` may be empty). REDCap's allocation table is also read:
a ``redcap_randomization_group`` column plus one column per stratification factor (named by the
factor code; a ``site`` factor may also come as ``redcap_data_access_group``). REDCap values may be
the protocol's codes or their 1-based positions (REDCap's raw coded values); REDCap allocates rows
top to bottom, so row order gives the sequence, and kit codes are generated from a seed.

A CSV file does not say which kit code scheme (``kit_codes``) made its codes: a list is checked
by the scheme all its codes belong to, so one made before issue 14 (0-9A-Z, MOD 37,36) imports,
commits and verifies as before, and a new one (Crockford base32) too.

Every problem found is reported with its line number (the header is line 1), all at once.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .allocation_list import Allocation, AllocationList
from .from_protocol import protocol_arms
from .kit_codes import CURRENT, SCHEMES, KitCodeScheme, format_kit_code, scheme_of_codes
from .random_source import RandomSource
from .strata import (
    Factor,
    StratumError,
    all_strata,
    parse_stratum_key,
    protocol_factors,
    stratum_key,
)

COLUMNS = ("sequence", "stratum", "arm", "block", "block_size", "kit_code")
REQUIRED = ("sequence", "stratum", "arm", "kit_code")
REDCAP_GROUP = "redcap_randomization_group"
REDCAP_DAG = "redcap_data_access_group"


@dataclass(frozen=True)
class RowError:
    """One problem in an imported file: the line (1 = header), the column, the rule broken."""

    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class AllocationImportError(ValueError):
    """An imported allocation list broke one or more rules; ``errors`` lists them all."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


def write_allocation_csv(allocation_list: AllocationList | Sequence[Allocation]) -> str:
    """Return the list as CSV text in trialdesk's format, rows in sequence order."""
    rows = allocation_list.rows if isinstance(allocation_list, AllocationList) else allocation_list
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in sorted(rows, key=lambda r: r.sequence):
        writer.writerow(
            [
                row.sequence,
                row.stratum,
                row.arm,
                _blank(row.block),
                _blank(row.block_size),
                row.kit_code,
            ]
        )
    return buffer.getvalue()


def parse_allocation_rows(
    text: str, kit_code_scheme: KitCodeScheme | None = None
) -> list[Allocation]:
    """Return the rows of a trialdesk-format CSV, checking only the format (not the protocol).

    Checks the header, integers, kit code check characters and duplicate sequence numbers or
    kit codes. Enough for computing or verifying a commitment. Kit codes are checked by
    ``kit_code_scheme``, or, if None, by the scheme all of them belong to
    (:func:`kit_code_scheme_of`).
    """
    return _parse_rows(text, kit_code_scheme)[0]


def kit_code_scheme_of(codes: Sequence[str]) -> KitCodeScheme:
    """Return the scheme all ``codes`` belong to; if none, the one most of them belong to (its
    error messages then name the few rows that are wrong), the current one on a tie."""
    scheme = scheme_of_codes(codes)
    if scheme is not None:
        return scheme
    ranked = sorted(SCHEMES.values(),
                    key=lambda s: (-sum(s.is_valid(code) for code in codes), s is not CURRENT))
    return ranked[0]


def _parse_rows(
    text: str, kit_code_scheme: KitCodeScheme | None
) -> tuple[list[Allocation], KitCodeScheme]:
    header, records = _read(text)
    errors: list[RowError] = []
    missing = [column for column in REQUIRED if column not in header]
    unknown = [column for column in header if column not in COLUMNS]
    if missing:
        errors.append(
            RowError(
                1, None, f"missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}"
            )
        )
    if unknown:
        errors.append(RowError(1, None, f"unknown column(s) {', '.join(unknown)}"))
    if errors:
        raise AllocationImportError(errors)
    scheme = kit_code_scheme or kit_code_scheme_of([r.get("kit_code", "") for _, r in records])
    rows: list[Allocation] = []
    seen_sequence: dict[int, int] = {}
    seen_kit: dict[str, int] = {}
    for line, record in records:
        sequence = _integer(record.get("sequence", ""), line, "sequence", errors, required=True)
        block = _integer(record.get("block", ""), line, "block", errors)
        block_size = _integer(record.get("block_size", ""), line, "block_size", errors)
        kit_code = record.get("kit_code", "")
        if not scheme.is_valid(kit_code):
            errors.append(
                RowError(
                    line,
                    "kit_code",
                    f"{kit_code!r} is not a valid kit code "
                    f"(8 characters, {scheme.description}: the list's scheme)",
                )
            )
        else:
            kit_code = format_kit_code(kit_code)
            if kit_code in seen_kit:
                errors.append(
                    RowError(
                        line,
                        "kit_code",
                        f"duplicate kit code {kit_code} (first on line {seen_kit[kit_code]})",
                    )
                )
            seen_kit.setdefault(kit_code, line)
        if sequence is not None:
            if sequence in seen_sequence:
                errors.append(
                    RowError(
                        line,
                        "sequence",
                        f"duplicate sequence number {sequence} "
                        f"(first on line {seen_sequence[sequence]})",
                    )
                )
            seen_sequence.setdefault(sequence, line)
        for column in ("stratum", "arm"):
            if not record.get(column):
                errors.append(RowError(line, column, "must not be empty"))
        rows.append(
            Allocation(
                sequence or 0,
                record.get("stratum", ""),
                record.get("arm", ""),
                kit_code,
                block,
                block_size,
            )
        )
    if not rows:
        errors.append(RowError(1, None, "the list has no rows"))
    if errors:
        raise AllocationImportError(errors)
    return rows, scheme


def read_allocation_csv(
    text: str, protocol: Any, *, kit_code_seed: bytes | None = None
) -> AllocationList:
    """Return the validated list from trialdesk or REDCap CSV text, checked against the protocol.

    Raises :class:`AllocationImportError` listing every problem with its line.
    """
    arms, ratio = protocol_arms(protocol)
    factors = protocol_factors(protocol)
    header, _ = _read(text)
    if REDCAP_GROUP in header:
        if kit_code_seed is None:
            raise AllocationImportError(
                [
                    RowError(
                        1,
                        None,
                        "a REDCap allocation table has no kit codes; give a seed to generate them",
                    )
                ]
            )
        rows, line_of = _redcap_rows(text, arms, factors, kit_code_seed)
        procedure = "imported-redcap"
        scheme = CURRENT  # the codes are made here
    else:
        rows, scheme = _parse_rows(text, None)
        _, records = _read(text)
        line_of = {row.sequence: line for row, (line, _) in zip(rows, records, strict=True)}
        _check_protocol(rows, arms, factors, line_of)
        _check_blocks(rows, arms, ratio, line_of)
        procedure = "imported"
    return AllocationList(
        rows=tuple(sorted(rows, key=lambda r: r.sequence)),
        arms=tuple(arms),
        strata=tuple(all_strata(factors)),
        procedure=procedure,
        kit_code_scheme=scheme.name,
    )


def _check_protocol(
    rows: list[Allocation], arms: list[str], factors: list[Factor], line_of: dict[int, int]
) -> None:
    errors = []
    for row in rows:
        line = line_of[row.sequence]
        if row.arm not in arms:
            errors.append(
                RowError(
                    line, "arm", f"unknown arm {row.arm!r} (the protocol has {', '.join(arms)})"
                )
            )
        try:
            parse_stratum_key(factors, row.stratum)
        except StratumError as error:
            errors.append(RowError(line, "stratum", str(error)))
    if errors:
        raise AllocationImportError(errors)


def _check_blocks(
    rows: list[Allocation], arms: list[str], ratio: list[int], line_of: dict[int, int]
) -> None:
    """Complete blocks must hold the arms in the ratio; only a stratum's last may be partial."""
    errors = []
    blocks: dict[tuple[str, int], list[Allocation]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: r.sequence):
        if row.block is not None:
            blocks[(row.stratum, row.block)].append(row)
    last_block = {}
    for stratum, block in blocks:
        last_block[stratum] = max(last_block.get(stratum, block), block)
    cycle = sum(ratio)
    for (stratum, block), members in blocks.items():
        first_line = line_of[members[0].sequence]
        sizes = {row.block_size for row in members}
        if len(sizes) != 1 or None in sizes:
            errors.append(
                RowError(
                    first_line,
                    "block_size",
                    f"block {block} of {stratum} has missing or differing block sizes",
                )
            )
            continue
        size = int(sizes.pop() or 0)
        if len(members) > size:
            errors.append(
                RowError(
                    line_of[members[size].sequence],
                    "block",
                    f"block {block} of {stratum} has more than {size} rows",
                )
            )
        elif len(members) < size:
            if block != last_block[stratum]:
                errors.append(
                    RowError(
                        first_line,
                        "block",
                        f"block {block} of {stratum} has "
                        f"{len(members)} of its {size} rows and is not the last",
                    )
                )
        elif size % cycle:
            errors.append(
                RowError(
                    first_line,
                    "block_size",
                    f"block size {size} is not a multiple of the ratio total {cycle}",
                )
            )
        else:
            counts = Counter(row.arm for row in members)
            expected = {
                arm: weight * size // cycle for arm, weight in zip(arms, ratio, strict=True)
            }
            if any(counts.get(arm, 0) != n for arm, n in expected.items()):
                found = ", ".join(f"{arm} {counts.get(arm, 0)}" for arm in arms)
                wanted = ", ".join(f"{arm} {n}" for arm, n in expected.items())
                errors.append(
                    RowError(
                        line_of[members[-1].sequence],
                        "arm",
                        f"block {block} of {stratum} is unbalanced: {found} (expected {wanted})",
                    )
                )
    if errors:
        raise AllocationImportError(sorted(errors, key=lambda e: e.line))


def _redcap_rows(
    text: str, arms: list[str], factors: list[Factor], seed: bytes
) -> tuple[list[Allocation], dict[int, int]]:
    header, records = _read(text)
    errors: list[RowError] = []
    columns: dict[str, str] = {}
    for factor in factors:
        if factor.code in header:
            columns[factor.code] = factor.code
        elif REDCAP_DAG in header and factor.code == "site":
            columns[factor.code] = REDCAP_DAG
        else:
            errors.append(
                RowError(1, None, f"missing column for stratification factor {factor.code}")
            )
    unknown = [c for c in header if c != REDCAP_GROUP and c not in columns.values()]
    if unknown:
        errors.append(RowError(1, None, f"unknown column(s) {', '.join(unknown)}"))
    if errors:
        raise AllocationImportError(errors)
    parsed = []
    for line, record in records:
        arm = _coded(record[REDCAP_GROUP], arms, line, REDCAP_GROUP, errors)
        levels = [
            _coded(record[columns[f.code]], list(f.levels), line, columns[f.code], errors)
            for f in factors
        ]
        if arm is not None and None not in levels:
            parsed.append((line, arm, stratum_key(factors, levels)))
    if not parsed and not errors:
        errors.append(RowError(1, None, "the table has no rows"))
    if errors:
        raise AllocationImportError(errors)
    codes = CURRENT.generate(len(parsed), RandomSource(seed, "kit-codes"))
    rows = [Allocation(i + 1, stratum, arm, codes[i]) for i, (_, arm, stratum) in enumerate(parsed)]
    return rows, {i + 1: line for i, (line, _, _) in enumerate(parsed)}


def _coded(
    value: str, codes: list[str], line: int, column: str, errors: list[RowError]
) -> str | None:
    if value in codes:
        return value
    lowered = {code.lower(): code for code in codes}
    if value.lower() in lowered:
        return lowered[value.lower()]
    if value.isdigit() and 1 <= int(value) <= len(codes):
        return codes[int(value) - 1]
    errors.append(
        RowError(
            line,
            column,
            f"unknown value {value!r} (expected one of {', '.join(codes)} or 1..{len(codes)})",
        )
    )
    return None


def _read(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    text = text.lstrip("\ufeff")  # spreadsheets often add a byte-order mark
    reader = csv.reader(io.StringIO(text, newline=""))
    lines = [
        (number, row) for number, row in enumerate(reader, start=1) if any(c.strip() for c in row)
    ]
    if not lines:
        raise AllocationImportError([RowError(1, None, "the file is empty")])
    header = [cell.strip().lower() for cell in lines[0][1]]
    duplicates = sorted({c for c in header if header.count(c) > 1})
    if duplicates:
        raise AllocationImportError(
            [RowError(1, None, f"duplicate column(s) {', '.join(duplicates)}")]
        )
    records = []
    for number, row in lines[1:]:
        if len(row) != len(header):
            raise AllocationImportError(
                [RowError(number, None, f"{len(row)} fields, the header has {len(header)}")]
            )
        records.append(
            (number, {column: cell.strip() for column, cell in zip(header, row, strict=True)})
        )
    return header, records


def _integer(
    value: str, line: int, column: str, errors: list[RowError], *, required: bool = False
) -> int | None:
    if value == "":
        if required:
            errors.append(RowError(line, column, "must not be empty"))
        return None
    if not value.isdigit() or int(value) < 1:
        errors.append(RowError(line, column, f"{value!r} is not a positive integer"))
        return None
    return int(value)


def _blank(value: int | None) -> str:
    return "" if value is None else str(value)
