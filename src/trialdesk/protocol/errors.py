"""Protocol errors that name the file, the dotted path, the line and the rule broken."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProtocolIssue:
    """One thing wrong with a protocol file."""

    path: str
    rule: str
    message: str
    file: str = "<protocol>"
    line: int | None = None
    column: int | None = None  # known for TOML syntax errors only

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.line and self.column:
            where += f":{self.column}"
        location = f" {self.path}:" if self.path else ""
        return f"{where}:{location} {self.message} [{self.rule}]"


class ProtocolError(ValueError):
    """A protocol file that cannot be used; ``issues`` holds every problem found."""

    def __init__(self, issues: list[ProtocolIssue]) -> None:
        self.issues = issues
        count = len(issues)
        header = f"{count} error{'s' if count != 1 else ''} in the protocol"
        super().__init__("\n".join([header, *(f"  {issue}" for issue in issues)]))
