"""A reader for the MedDRA ASCII distribution files, so an adverse event can be coded.

MedDRA is licensed: trialdesk ships none of it. The sponsor loads its own release (``trialdesk
safety load-dictionary --meddra DIR``, the web layer) and this module reads that release's
``MedAscii`` folder. The format is the one of the MSSO's "MedDRA Distribution File Format"
document: one record a line, fields separated by ``$``, each record ending in ``$``:

==============  ==========================================================================
file            fields used (position from 1)
==============  ==========================================================================
``llt.asc``     1 llt_code, 2 llt_name, 3 pt_code, 10 llt_currency (Y/N); 11 fields in all
``pt.asc``      1 pt_code, 2 pt_name, (3 null_field), 4 pt_soc_code (the primary SOC)
``hlt.asc``     1 hlt_code, 2 hlt_name
``hlgt.asc``    1 hlgt_code, 2 hlgt_name
``soc.asc``     1 soc_code, 2 soc_name, 3 soc_abbrev
``hlt_pt.asc``  hlt_code, pt_code          (a PT may sit under several HLTs: multiaxiality)
``hlgt_hlt.asc`` hlgt_code, hlt_code
``soc_hlgt.asc`` soc_code, hlgt_code
==============  ==========================================================================

The remaining fields (WHO-ART, HARTS, COSTART, ICD-9, ICD-9-CM, ICD-10, J-ART codes) are legacy
cross-references that coding does not use; they are allowed, and not checked. Files are decoded
as UTF-8 (recent releases) and, failing that, as Latin-1 (older releases in European languages).

Why strict: a half-read dictionary codes events wrongly without a sign. Every malformed line,
duplicate code or link to a code that does not exist is an error naming the file and line.

``hierarchy(llt)`` follows the *primary* path: the PT's primary SOC is ``pt_soc_code`` in
``pt.asc``; the HLT and HLGT are those linking the PT to that SOC.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

FILES = (
    "llt.asc",
    "pt.asc",
    "hlt.asc",
    "hlgt.asc",
    "soc.asc",
    "hlt_pt.asc",
    "hlgt_hlt.asc",
    "soc_hlgt.asc",
)
_CODE = re.compile(r"\d{1,10}")


class MeddraError(ValueError):
    """A MedDRA release folder that cannot be read; the message names the file and line."""


class Level(StrEnum):
    LLT = "llt"
    PT = "pt"
    HLT = "hlt"
    HLGT = "hlgt"
    SOC = "soc"


@dataclass(frozen=True)
class Term:
    """A term at one level of the hierarchy."""

    level: Level
    code: int
    name: str


@dataclass(frozen=True)
class LowLevelTerm(Term):
    """An LLT: what an investigator's verbatim text is coded to. Non-current LLTs are kept for
    old codings but are not to be chosen for new ones."""

    pt_code: int = 0
    current: bool = True


@dataclass(frozen=True)
class PreferredTerm(Term):
    primary_soc_code: int = 0


@dataclass(frozen=True)
class SystemOrganClass(Term):
    abbreviation: str = ""


class Hierarchy(NamedTuple):
    """The primary path of an LLT, lowest level first; unpacks as (llt, pt, hlt, hlgt, soc)."""

    llt: LowLevelTerm
    pt: PreferredTerm
    hlt: Term
    hlgt: Term
    soc: SystemOrganClass


@dataclass(frozen=True)
class _Line:
    file: str
    number: int
    fields: list[str]

    def error(self, message: str) -> MeddraError:
        return MeddraError(f"{self.file} line {self.number}: {message}")

    def code(self, index: int, name: str) -> int:
        value = self.fields[index].strip()
        if not _CODE.fullmatch(value):
            raise self.error(f"{name} {value!r} is not a MedDRA code (digits only)")
        return int(value)

    def text(self, index: int, name: str) -> str:
        value = self.fields[index].strip()
        if not value:
            raise self.error(f"{name} is empty")
        return value


def _find(folder: Path, name: str) -> Path:
    path = folder / name
    if path.is_file():
        return path
    # some unpacked releases keep upper-case names (LLT.ASC)
    for candidate in folder.iterdir():
        if candidate.is_file() and candidate.name.lower() == name:
            return candidate
    raise MeddraError(f"{name}: not found in {folder} (a MedDRA release's MedAscii folder)")


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text.removeprefix("\ufeff")


def _lines(folder: Path, name: str, min_fields: int) -> Iterable[_Line]:
    path = _find(folder, name)
    for number, raw in enumerate(_decode(path).splitlines(), start=1):
        if not raw.strip():
            continue
        fields = raw.split("$")
        if fields and fields[-1].strip() == "":
            fields = fields[:-1]  # the record's closing "$"
        line = _Line(name, number, fields)
        if len(fields) < min_fields:
            raise line.error(
                f"expected at least {min_fields} '$'-separated fields, found {len(fields)}"
            )
        yield line


def _put(table: dict[int, Term], term: Term, line: _Line) -> None:
    if term.code in table:
        raise line.error(f"{term.level.value}_code {term.code} appears twice")
    table[term.code] = term


@dataclass(frozen=True)
class MeddraDictionary:
    """One MedDRA release, read into memory (about 80 000 LLTs in an English release)."""

    llts: Mapping[int, LowLevelTerm]
    pts: Mapping[int, PreferredTerm]
    hlts: Mapping[int, Term]
    hlgts: Mapping[int, Term]
    socs: Mapping[int, SystemOrganClass]
    hlts_of_pt: Mapping[int, tuple[int, ...]]
    hlgts_of_hlt: Mapping[int, tuple[int, ...]]
    socs_of_hlgt: Mapping[int, tuple[int, ...]]
    _folded: tuple[tuple[str, LowLevelTerm], ...] = field(repr=False, default=())

    def search(self, text: str, limit: int = 20) -> list[LowLevelTerm]:
        """LLTs whose name contains ``text`` (case-insensitive), best first.

        Current LLTs come before non-current ones (a coder should pick a current term); within
        each, an exact name before a name starting with the text, before a word starting with
        it, before any other match; then alphabetically. Digits alone also match an LLT code.
        """
        if not isinstance(text, str) or not text.strip():
            raise ValueError("text: give a word or part of a term to search for")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit: expected a whole number >= 1, got {limit!r}")
        needle = " ".join(text.split()).casefold()
        found: list[tuple[tuple[int, int, str, int], LowLevelTerm]] = []
        by_code = self.llts.get(int(needle)) if needle.isdigit() else None
        for folded, llt in self._folded:
            if llt is by_code:
                rank = -1
            elif folded == needle:
                rank = 0
            elif folded.startswith(needle):
                rank = 1
            elif f" {needle}" in folded or f"-{needle}" in folded or f"({needle}" in folded:
                rank = 2
            elif needle in folded:
                rank = 3
            else:
                continue
            found.append(((0 if llt.current else 1, rank, folded, llt.code), llt))
        found.sort(key=lambda item: item[0])
        return [llt for _, llt in found[:limit]]

    def hierarchy(self, llt_code: int | str) -> Hierarchy:
        """The LLT's primary path: its PT, and the HLT, HLGT and SOC linking the PT to its
        primary SOC (``pt_soc_code``)."""
        code = _as_code(llt_code, "llt_code")
        llt = self.llts.get(code)
        if llt is None:
            raise KeyError(f"llt_code {code}: no such LLT in this MedDRA release")
        pt = self.pts[llt.pt_code]
        soc = self.socs[pt.primary_soc_code]
        paths = sorted(
            (hlt, hlgt)
            for hlt in self.hlts_of_pt.get(pt.code, ())
            for hlgt in self.hlgts_of_hlt.get(hlt, ())
            if soc.code in self.socs_of_hlgt.get(hlgt, ())
        )
        if not paths:
            raise MeddraError(
                f"pt_code {pt.code}: no HLT and HLGT link it to its primary SOC {soc.code} "
                "(hlt_pt.asc, hlgt_hlt.asc, soc_hlgt.asc disagree with pt.asc)"
            )
        hlt, hlgt = paths[0]  # MedDRA keeps one primary path; sorted for determinism
        return Hierarchy(llt, pt, self.hlts[hlt], self.hlgts[hlgt], soc)


def _as_code(value: int | str, name: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name}: expected a MedDRA code, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _CODE.fullmatch(value.strip()):
        return int(value.strip())
    raise ValueError(f"{name}: expected a MedDRA code (digits), got {value!r}")


def _links(
    folder: Path,
    name: str,
    parents: Mapping[int, Term],
    children: Mapping[int, Term],
    parent_name: str,
    child_name: str,
) -> dict[int, tuple[int, ...]]:
    """child code -> parent codes, from a two-code link file; both codes must exist."""
    out: dict[int, set[int]] = defaultdict(set)
    for line in _lines(folder, name, 2):
        parent = line.code(0, parent_name)
        child = line.code(1, child_name)
        if parent not in parents:
            raise line.error(f"{parent_name} {parent} is not in {parent_name.split('_')[0]}.asc")
        if child not in children:
            raise line.error(f"{child_name} {child} is not in {child_name.split('_')[0]}.asc")
        out[child].add(parent)
    return {child: tuple(sorted(ps)) for child, ps in out.items()}


def load_meddra(folder: str | Path) -> MeddraDictionary:
    """Read a MedDRA release's ASCII files from ``folder`` (its ``MedAscii`` directory)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MeddraError(f"{folder}: not a folder (give the release's MedAscii folder)")

    socs: dict[int, Term] = {}
    for line in _lines(folder, "soc.asc", 3):
        term = SystemOrganClass(
            Level.SOC,
            line.code(0, "soc_code"),
            line.text(1, "soc_name"),
            abbreviation=line.fields[2].strip(),
        )
        _put(socs, term, line)

    hlgts: dict[int, Term] = {}
    for line in _lines(folder, "hlgt.asc", 2):
        _put(hlgts, Term(Level.HLGT, line.code(0, "hlgt_code"), line.text(1, "hlgt_name")), line)

    hlts: dict[int, Term] = {}
    for line in _lines(folder, "hlt.asc", 2):
        _put(hlts, Term(Level.HLT, line.code(0, "hlt_code"), line.text(1, "hlt_name")), line)

    pts: dict[int, Term] = {}
    pt_lines: dict[int, _Line] = {}
    for line in _lines(folder, "pt.asc", 4):
        soc = line.code(3, "pt_soc_code")
        if soc not in socs:
            raise line.error(f"pt_soc_code {soc} is not in soc.asc")
        term = PreferredTerm(
            Level.PT, line.code(0, "pt_code"), line.text(1, "pt_name"), primary_soc_code=soc
        )
        _put(pts, term, line)
        pt_lines[term.code] = line

    llts: dict[int, Term] = {}
    for line in _lines(folder, "llt.asc", 10):
        pt = line.code(2, "pt_code")
        if pt not in pts:
            raise line.error(f"pt_code {pt} is not in pt.asc")
        currency = line.fields[9].strip().upper()
        if currency not in ("Y", "N"):
            raise line.error(f"llt_currency must be Y or N, got {line.fields[9].strip()!r}")
        term = LowLevelTerm(
            Level.LLT,
            line.code(0, "llt_code"),
            line.text(1, "llt_name"),
            pt_code=pt,
            current=currency == "Y",
        )
        _put(llts, term, line)

    hlts_of_pt = _links(folder, "hlt_pt.asc", hlts, pts, "hlt_code", "pt_code")
    hlgts_of_hlt = _links(folder, "hlgt_hlt.asc", hlgts, hlts, "hlgt_code", "hlt_code")
    socs_of_hlgt = _links(folder, "soc_hlgt.asc", socs, hlgts, "soc_code", "hlgt_code")
    for code, pt in pts.items():
        soc = pt.primary_soc_code  # type: ignore[attr-defined]
        if not any(
            soc in socs_of_hlgt.get(hlgt, ())
            for hlt in hlts_of_pt.get(code, ())
            for hlgt in hlgts_of_hlt.get(hlt, ())
        ):
            raise pt_lines[code].error(
                f"pt_code {code} has no HLT and HLGT linking it to its primary SOC {soc} "
                "(see hlt_pt.asc, hlgt_hlt.asc, soc_hlgt.asc)"
            )

    folded = tuple(
        sorted(
            ((" ".join(t.name.split()).casefold(), t) for t in llts.values()),
            key=lambda item: item[1].code,
        )
    )
    return MeddraDictionary(
        llts=MappingProxyType(llts),  # type: ignore[arg-type]
        pts=MappingProxyType(pts),  # type: ignore[arg-type]
        hlts=MappingProxyType(hlts),
        hlgts=MappingProxyType(hlgts),
        socs=MappingProxyType(socs),  # type: ignore[arg-type]
        hlts_of_pt=MappingProxyType(hlts_of_pt),
        hlgts_of_hlt=MappingProxyType(hlgts_of_hlt),
        socs_of_hlgt=MappingProxyType(socs_of_hlgt),
        _folded=folded,
    )
