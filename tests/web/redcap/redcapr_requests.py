"""The request bodies REDCapR (OuhscBbmc/REDCapR, 1.x) sends, as its ``post_body`` lists build
them, for ``RedcapClient.post_form`` to urlencode as httr does (``kernel_api()`` in
R/kernel-api.R posts every call with ``encode_httr = "form"``). REDCapR is not in Debian's
packages and CRAN is not reachable here, so its calls are reproduced from its source: each
function names the file it follows. Pairs in the list's order; ``None`` is R's NULL (httr drops
it), ``""`` is sent empty; R's logicals are ``True``/``False`` (sent as TRUE/FALSE), the
``tolower(as.character(...))`` ones are already text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

Body = list[tuple[str, Any]]


def _collapse(values: Sequence[str] | None) -> str:
    """REDCapR's ``collapse_vector()``: the values comma-joined, ``""`` for NULL."""
    return ",".join(values) if values else ""


def read_oneshot(token: str, *, records: Sequence[str] | None = None,
                 fields: Sequence[str] | None = None, forms: Sequence[str] | None = None,
                 events: Sequence[str] | None = None, raw_or_label: str = "raw",
                 raw_or_label_headers: str = "raw", export_data_access_groups: bool = False,
                 blank_for_gray_form_status: bool = False) -> Body:
    """R/redcap-read-oneshot.R, ``redcap_read_oneshot()``: the options always (``filterLogic``
    and the date range empty when not given), ``exportBlankForGrayFormStatus`` as R's logical,
    and ``records``, ``fields``, ``forms``, ``events`` only when not empty, comma-collapsed."""
    body: Body = [
        ("token", token), ("content", "record"), ("format", "csv"), ("type", "flat"),
        ("rawOrLabel", raw_or_label), ("rawOrLabelHeaders", raw_or_label_headers),
        ("exportCheckboxLabel", "false"), ("exportSurveyFields", "false"),
        ("exportDataAccessGroups", str(export_data_access_groups).lower()),
        ("filterLogic", ""), ("dateRangeBegin", ""), ("dateRangeEnd", ""),
        ("exportBlankForGrayFormStatus", blank_for_gray_form_status),
    ]
    for name, values in (("records", records), ("fields", fields), ("forms", forms),
                         ("events", events)):
        if values:
            body.append((name, _collapse(values)))
    return body


def read_eav_oneshot(token: str, *, records: Sequence[str] | None = None,
                     forms: Sequence[str] | None = None) -> Body:
    """R/redcap-read-eav-oneshot.R, ``redcap_read_eav_oneshot()``: as ``read_oneshot`` with
    ``type = "eav"`` and without the raw-or-label options."""
    body: Body = [
        ("token", token), ("content", "record"), ("format", "csv"), ("type", "eav"),
        ("exportSurveyFields", "false"), ("exportDataAccessGroups", "false"),
        ("filterLogic", ""), ("dateRangeBegin", ""), ("dateRangeEnd", ""),
        ("exportBlankForGrayFormStatus", False),
    ]
    for name, values in (("records", records), ("forms", forms)):
        if values:
            body.append((name, _collapse(values)))
    return body


def metadata_read(token: str, *, fields: Sequence[str] | None = None,
                  forms: Sequence[str] | None = None) -> Body:
    """R/redcap-metadata-read.R, ``redcap_metadata_read()``: json, and the fields and forms as
    indexed arrays (``to_api_array()``: ``fields[0]``, ``fields[1]`` ...) when given."""
    body: Body = [("token", token), ("content", "metadata"), ("format", "json")]
    for name, values in (("fields", fields), ("forms", forms)):
        body += [(f"{name}[{index}]", value) for index, value in enumerate(values or ())]
    return body


def write_oneshot(token: str, csv: str, *, overwrite_with_blanks: bool = False) -> Body:
    """R/redcap-write-oneshot.R, ``redcap_write_oneshot()``: the data as ``utils::write.csv``
    writes it (see ``r_write_csv``), the affected IDs asked for as csv."""
    return [("token", token), ("content", "record"), ("format", "csv"), ("type", "flat"),
            ("data", csv),
            ("overwriteBehavior", "overwrite" if overwrite_with_blanks else "normal"),
            ("returnContent", "ids"), ("returnFormat", "csv")]


def r_write_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """``utils::write.csv(ds, row.names = FALSE, na = "")`` then ``paste(collapse = "\\n")``
    (R/redcap-write-oneshot.R): names and character values double-quoted, numbers bare, NA
    empty, lines joined by a newline with none after the last."""
    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, (int, float)):
            return str(value)
        return '"' + str(value).replace('"', '""') + '"'

    return "\n".join([",".join(cell(c) for c in columns),
                      *(",".join(cell(v) for v in row) for row in rows)])


def event_instruments(token: str, arms: Sequence[str] | None = None) -> Body:
    """R/redcap-event-instruments.R, ``redcap_event_instruments()``: ``arms`` always sent,
    empty when none are asked for."""
    return [("token", token), ("content", "formEventMapping"), ("format", "csv"),
            ("arms", _collapse(arms))]


def variables(token: str) -> Body:
    """R/redcap-variables.R, ``redcap_variables()``."""
    return [("token", token), ("content", "exportFieldNames"), ("format", "csv")]


def version(token: str) -> Body:
    """R/redcap-version.R, ``redcap_version()``: the answer read by ``package_version()``."""
    return [("token", token), ("content", "version"), ("format", "csv")]


def users_export(token: str) -> Body:
    """R/redcap-users-export.R, ``redcap_users_export()``."""
    return [("token", token), ("content", "user"), ("format", "csv")]


def log_read(token: str, *, begin: dt.date, end: dt.date, record: str | None = None,
             user: str | None = None) -> Body:
    """R/redcap-log-read.R, ``redcap_log_read()``: whole days, from ``strftime(log_begin_date,
    "%Y-%m-%d 00:00")`` to ``strftime(log_end_date, "%Y-%m-%d 24:00")``; ``record`` and
    ``user`` NULL (left out) unless given. Its defaults: the last seven days to today."""
    return [("token", token), ("content", "log"), ("format", "csv"),
            ("beginTime", f"{begin.isoformat()} 00:00"), ("endTime", f"{end.isoformat()} 24:00"),
            ("record", record), ("user", user)]
