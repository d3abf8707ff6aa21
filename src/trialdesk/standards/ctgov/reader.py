"""Read study records: one study, an API page ``{"studies": [...]}``, or a ZIP of studies.

Everything is read and validated before anything is returned, so a caller that stores the result
inside one transaction never half-imports a bad file. Each problem names the file, the record and
the JSON path.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from trialdesk.standards.ctgov.models import Study

PAGE_KEYS = {"studies", "nextPageToken", "totalCount"}
_MESSAGES = {
    "missing": "required key is missing",
    "extra_forbidden": "unknown key (not in the ClinicalTrials.gov API v2 study schema)",
}


@dataclass(frozen=True)
class ImportIssue:
    file: str
    record: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.record}: {self.path}: {self.message}"


class RegistryImportError(Exception):
    """One or more records could not be read; ``issues`` lists every problem found."""

    def __init__(self, issues: list[ImportIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(issue) for issue in issues))


@dataclass(frozen=True)
class ReadStudy:
    study: Study
    file: str
    record: str


def json_path(loc: Iterable[str | int], prefix: str = "$") -> str:
    """Return a pydantic error location as a JSON path: ("a", 0, "b") -> "$.a[0].b"."""
    path = prefix
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _record_name(raw: Any, index: int | None) -> str:
    try:
        nct_id = raw["protocolSection"]["identificationModule"]["nctId"]
    except (KeyError, TypeError):
        nct_id = None
    if isinstance(nct_id, str) and nct_id:
        return nct_id
    return "record" if index is None else f"record #{index + 1}"


def _validate(raw: Any, file: str, prefix: str, index: int | None) -> tuple[Study | None,
                                                                          list[ImportIssue]]:
    record = _record_name(raw, index)
    try:
        return Study.model_validate(raw), []
    except ValidationError as error:
        return None, [
            ImportIssue(file, record, json_path(e["loc"], prefix),
                        _MESSAGES.get(e["type"], e["msg"]))
            for e in error.errors()
        ]


def _documents(path: Path) -> Iterator[tuple[str, bytes]]:
    """Yield (name to report, JSON bytes) for a JSON file or for each JSON member of a ZIP."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for member in archive.infolist():
                if not member.is_dir() and member.filename.lower().endswith(".json"):
                    yield f"{path}!{member.filename}", archive.read(member)
    else:
        yield str(path), path.read_bytes()


def read_document(name: str, data: bytes) -> tuple[list[ReadStudy], list[ImportIssue]]:
    """Parse one JSON document (a study or a page) and return its studies and problems."""
    try:
        raw = json.loads(data)
    except UnicodeDecodeError as error:
        return [], [ImportIssue(name, "file", "$", f"not UTF-8 text: {error}")]
    except json.JSONDecodeError as error:
        return [], [ImportIssue(name, "file", "$",
                                f"malformed JSON at line {error.lineno}, column {error.colno}: "
                                f"{error.msg}")]
    if isinstance(raw, dict) and "studies" in raw:
        unknown = sorted(set(raw) - PAGE_KEYS)
        issues = [ImportIssue(name, "page", f"$.{key}", _MESSAGES["extra_forbidden"])
                  for key in unknown]
        if not isinstance(raw["studies"], list):
            return [], [*issues,
                        ImportIssue(name, "page", "$.studies", "must be a list of studies")]
        found: list[ReadStudy] = []
        for index, item in enumerate(raw["studies"]):
            study, problems = _validate(item, name, f"$.studies[{index}]", index)
            issues += problems
            if study is not None:
                found.append(ReadStudy(study, name, study.nct_id))
        return found, issues
    if not isinstance(raw, dict):
        return [], [ImportIssue(name, "file", "$",
                                'expected a study object or a page {"studies": [...]}')]
    study, issues = _validate(raw, name, "$", None)
    return ([ReadStudy(study, name, study.nct_id)] if study else []), issues


def read_files(paths: Iterable[str | Path]) -> list[ReadStudy]:
    """Read and validate every study in ``paths``.

    Raise RegistryImportError listing every problem of every file.
    """
    studies: list[ReadStudy] = []
    issues: list[ImportIssue] = []
    for path in map(Path, paths):
        try:
            documents = list(_documents(path))
        except (OSError, zipfile.BadZipFile) as error:
            issues.append(ImportIssue(str(path), "file", "$", f"cannot read: {error}"))
            continue
        for name, data in documents:
            found, problems = read_document(name, data)
            studies += found
            issues += problems
    if issues:
        raise RegistryImportError(issues)
    return studies
