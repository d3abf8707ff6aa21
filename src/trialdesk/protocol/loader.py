"""Read a protocol file, validate it, and report every problem at once."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from trialdesk.protocol.checks import check_protocol
from trialdesk.protocol.confidential import (
    CONFIDENTIAL_FILE,
    Confidential,
    kept_in_file,
    merge,
    monitoring_secrets_in_file,
    read_confidential,
)
from trialdesk.protocol.errors import ProtocolError, ProtocolIssue
from trialdesk.protocol.locate import LineIndex, unclosed_opening
from trialdesk.protocol.schema import Protocol

DEFAULT_PROTOCOL = "nct04390152.toml"
_TOML_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")
_TOML_END = "(at end of document)"


def default_protocol_path() -> Path:
    """Return the path of the bundled NCT04390152 protocol."""
    return Path(str(resources.files("trialdesk.protocol") / "protocols" / DEFAULT_PROTOCOL))


def load_protocol(
    path: str | Path | None = None, *, confidential: str | Path | None = None
) -> Protocol:
    """Load and validate a protocol file (default: the bundled NCT04390152).

    ``confidential``: a ``randomization.confidential.toml`` (see ``protocol.confidential``) whose
    values complete or override the protocol's randomization section.
    Raise ProtocolError listing every problem, each with the file, dotted path, line and rule.
    """
    secret = read_confidential(Path(confidential)) if confidential is not None else None
    if path is None and secret is None:
        return _load_default()
    path = Path(path) if path is not None else default_protocol_path()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ProtocolError([ProtocolIssue("", "readable", str(error), file=str(path))]) from error
    return parse_protocol(text, file=str(path), confidential=secret)


@cache
def _load_default() -> Protocol:
    path = default_protocol_path()
    return parse_protocol(path.read_text(encoding="utf-8"), file=str(path))


def parse_protocol(
    text: str, *, file: str = "<protocol>", confidential: Confidential | None = None
) -> Protocol:
    """Validate protocol TOML text; see load_protocol."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProtocolError([_syntax_issue(str(error), text, file)]) from error
    lines = LineIndex(text)
    # a protocol that says its randomization is confidential must not print it for the sites
    leaked = [
        ProtocolIssue(f"design.randomization.{key}", "confidential-in-file",
                      f"the randomization is confidential: keep {key} in {CONFIDENTIAL_FILE} "
                      "beside the seed, not in the protocol file", file,
                      lines.line_of(f"design.randomization.{key}"))
        for key in kept_in_file(data)
    ]
    leaked += [
        ProtocolIssue(path, "confidential-in-file",
                      f"the monitoring plan's seed is secret (a site that knew it could tell which "
                      f"forms will be verified): keep it in {CONFIDENTIAL_FILE} beside the seed, "
                      "or leave it out for the server's own", file, lines.line_of(path))
        for path in monitoring_secrets_in_file(data)
    ]
    if leaked:
        raise ProtocolError(leaked)
    if confidential is not None:
        data = merge(data, confidential)

    def issue(path: str, rule: str, message: str) -> ProtocolIssue:
        # a value that came from the confidential file is reported at its line there
        line = confidential.line_of(path) if confidential is not None else None
        if line is not None:
            return ProtocolIssue(path, rule, message, confidential.file, line)
        return ProtocolIssue(path, rule, message, file, lines.line_of(path))

    try:
        protocol = Protocol.model_validate(data)
    except ValidationError as error:
        raise ProtocolError(
            [_issue_from_pydantic(item, issue) for item in error.errors()]
        ) from error
    findings = check_protocol(protocol)
    if findings:
        raise ProtocolError([issue(path, rule, message) for path, rule, message in findings])
    return protocol


def _syntax_issue(error: str, text: str, file: str) -> ProtocolIssue:
    """A TOML syntax error at tomllib's line and column, or, for an array, inline table, string or
    table header that is never closed, at the place it was opened.

    tomllib reports where it gave up: "at end of document" (no line) or, for an unclosed array or
    inline table, the line where it noticed, which may be far below the bracket that opened it.
    """
    match = _TOML_LINE.search(error)
    line, column = (int(match.group(1)), int(match.group(2))) if match else (None, None)
    message = _TOML_LINE.sub("", error).replace(_TOML_END, "").strip()
    opening = None
    if _TOML_END in error:
        opening = unclosed_opening(text)
    elif message.startswith("Unclosed ") and line is not None and column is not None:
        opening = unclosed_opening(text[: _offset(text, line, column)])
    if opening is not None:
        line, column = opening.line, opening.column
        message += (
            f": the {opening.kind} {opening.delimiter!r} opened at line {line},"
            f" column {column} is never closed"
        )
    elif _TOML_END in error:  # e.g. a key with no value on the last line: point just after it
        message += f" {_TOML_END}"
        written = text.rstrip()
        line = written.count("\n") + 1
        column = len(written) - (written.rfind("\n") + 1) + 1
    return ProtocolIssue("", "toml-syntax", f"TOML syntax error: {message}", file, line, column)


def _offset(text: str, line: int, column: int) -> int:
    """The character offset of a 1-based line and column as tomllib counts them."""
    start = 0
    for _ in range(line - 1):
        start = text.index("\n", start) + 1
    return start + column - 1


def _issue_from_pydantic(item: dict, issue: Callable[[str, str, str], ProtocolIssue]
                         ) -> ProtocolIssue:
    path = _dotted(item["loc"])
    rule = item["type"]
    message = item["msg"]
    if rule == "extra_forbidden":
        message = f"unknown key {item['loc'][-1]!r}"
    elif rule == "literal_error":
        allowed = message.removeprefix("Input should be ")
        message = f"{item.get('input')!r} is not allowed: {allowed}"
        message = message.replace("expected", "expected one of")
    elif rule == "missing":
        message = "required key is missing"
    message = message.removeprefix("Value error, ")
    return issue(path, rule, message)


def _dotted(loc: tuple) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif str(part).startswith("function-") or part in ("str", "int", "float"):
            continue
        else:
            path = f"{path}.{part}" if path else str(part)
    return path
