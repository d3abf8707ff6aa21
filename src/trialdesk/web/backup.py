"""The audit chain of a ``pg_dump -Fc`` file, checked without restoring it anywhere.

``pg_restore --data-only --table=trials_auditrecord --file=-`` prints the table's rows in COPY's
text format; they are read back into the values the server hashed (``at`` as an aware UTC time,
``changes`` as JSON) and checked by the server's own rule (``web/core/auditchain.py``, plain
Python): every hash and link, and the manifest's head still in the chain. It lives here, not in
``trialdesk.backup`` (which imports nothing of ``trialdesk.web``), and is handed to it by the
command.
"""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trialdesk.backup import sources
from trialdesk.backup.errors import DamagedBackupError
from trialdesk.web.core.auditchain import HASHED_FIELDS, check_heads, verify_chain

_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)")


def unescape(field: str) -> str | None:
    r"""One field of COPY's text format: ``\N`` is NULL; backslash escapes as COPY writes them."""
    if field == r"\N":
        return None

    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] == "x" and len(code) > 1:
            return chr(int(code[1:], 16))
        if code.isdigit() and set(code) <= set("01234567"):
            return chr(int(code, 8))
        return _ESCAPES.get(code, code)

    return _ESCAPE.sub(replace, field)


def _record(columns: list[str], line: str) -> dict[str, Any]:
    values = dict(zip(columns, (unescape(field) for field in line.split("\t")), strict=True))
    record = {name: values[name] for name in (*HASHED_FIELDS, "hash")}
    record["seq"] = int(record["seq"])
    record["at"] = datetime.fromisoformat(record["at"]).astimezone(UTC)
    record["changes"] = json.loads(record["changes"])
    return record


def dump_records(dump: Path) -> list[dict[str, Any]]:
    """The audit records of a custom-format dump, in ``seq`` order."""
    process = subprocess.Popen(  # noqa: S603
        [sources.client_tool("pg_restore"), "--data-only", f"--table={sources.AUDIT_TABLE}",
         "--file=-", str(dump)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    records: list[dict[str, Any]] = []
    columns: list[str] | None = None
    try:
        for raw_line in process.stdout:
            line = raw_line.rstrip("\n")
            if columns is None:
                match = re.match(rf"COPY \S*{sources.AUDIT_TABLE} \((.*)\) FROM stdin;$", line)
                if match:
                    columns = [name.strip().strip('"') for name in match.group(1).split(",")]
                continue
            if line == "\\.":
                break
            records.append(_record(columns, line))
    except (ValueError, KeyError) as error:
        process.kill()
        raise DamagedBackupError(f"the dump's audit records are unreadable: {error}") from None
    finally:
        process.stdout.close()
        error_text = process.stderr.read()
        process.stderr.close()
        status = process.wait()
    if status != 0:
        raise DamagedBackupError(f"pg_restore cannot read the dump: {error_text.strip()}")
    return sorted(records, key=lambda record: record["seq"])


def dump_chain_check(dump: Path, head: dict[str, Any] | None) -> str:
    """Check the dump's audit chain and that it holds ``head``; return a summary line."""
    records = dump_records(dump)
    chain = {record["seq"]: record["hash"] for record in records}
    check = verify_chain(records)
    if check.ok and head is not None:
        check = check_heads(chain, [(head["seq"], head["hash"])], "the backup's manifest")
    if not check.ok:
        raise DamagedBackupError(f"the audit trail of the copy does not verify: record "
                                 f"{check.first_bad_seq}: {check.problem}")
    return f"audit trail intact: {check.count} records"
