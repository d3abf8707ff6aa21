"""``POST /redcap/api/``: one URL, the method named by ``content`` and ``action``.

Not part of the JSON API under ``/api/v1/`` (its own wire protocol and error shape) and exempt
from CSRF: a call carries its token in the form body, never a session cookie, so a forged
cross-site request has no one's rights to borrow. Every read of clinical data (records, the log)
and every write is audited under the token's user.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from django.http import HttpRequest, HttpResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt

from trialdesk.web.capture.errors import FormRejected
from trialdesk.web.core.actor import Actor, require
from trialdesk.web.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from trialdesk.web.core.permissions import ANY_ROLE, READ_PARTICIPANTS
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.redcap import dictionary, export, imports, methods
from trialdesk.web.redcap.actions import do_audit_redcap_read
from trialdesk.web.redcap.tokens import token_actor
from trialdesk.web.redcap.wire import (
    CONTENT_TYPES,
    Params,
    RedcapError,
    error_response,
    object_response,
    parse_data,
    rows_body,
    rows_response,
    streamed_rows,
)

RECORD_LIMIT_OF_A_FILTER = 50  # record codes kept in the audit record of one export


# A record list as PyCap sends it (records[0] ... records[n]) is a field per record: Django's
# limit of 1,000 form fields would refuse an export of 1,000 named records.
MAX_FIELDS = 200_000


def posted_fields(request: HttpRequest) -> QueryDict:
    """The posted form; a urlencoded body is read here, without Django's field-count limit."""
    if request.method != "POST" or request.content_type != "application/x-www-form-urlencoded":
        return request.POST
    try:
        pairs = parse_qsl(request.body.decode("utf-8"), keep_blank_values=True,
                          max_num_fields=MAX_FIELDS)
    except (ValueError, UnicodeDecodeError):
        raise RedcapError(400, f"the form must be UTF-8 with at most {MAX_FIELDS} fields"
                          ) from None
    fields = QueryDict(mutable=True)
    for name, value in pairs:
        fields.appendlist(name, value)
    return fields


@csrf_exempt
def redcap_api(request: HttpRequest) -> HttpResponse:
    """Answer one REDCap API call; an error in the caller's return format with its status."""
    try:
        params = Params(posted_fields(request))
    except RedcapError as error:
        return error_response(error, "xml")
    try:
        if request.method != "POST":
            raise RedcapError(405, "the REDCap API answers POST requests only")
        actor = token_actor(params.text("token"))
        return _dispatch(actor, params)
    except RedcapError as error:
        return error_response(error, params.return_format)
    except FormRejected as error:
        return error_response(RedcapError(400, str(error)), params.return_format)
    except InvalidInput as error:
        return error_response(RedcapError(400, f"{error.field}: {error.rule}"),
                              params.return_format)
    except Forbidden as error:
        return error_response(RedcapError(403, str(error)), params.return_format)
    except NotFound as error:
        return error_response(RedcapError(404, str(error)), params.return_format)
    except Conflict as error:
        return error_response(RedcapError(409, error.message), params.return_format)


# Any role with a token: each method checks its own permission (records: reading participants,
# import: entering forms, log: the audit trail, users: managing users) once the token is read.
redcap_api.permission = ANY_ROLE  # type: ignore[attr-defined]


def _dispatch(actor: Actor, params: Params) -> HttpResponse:
    content = params.text("content")
    if content == "version":
        return methods.version_response()
    project = dictionary.project_of(get_protocol())
    delimiter = params.csv_delimiter
    unknown_arms = [arm for arm in params.array("arms") if arm != str(dictionary.ARM_NUMBER)]
    if unknown_arms:
        raise RedcapError(400, f"arms: the project has one arm (1), not {', '.join(unknown_arms)}")
    if content == "record":
        return _record(actor, project, params)
    if content == "log":
        return _stream(methods.log_body(actor, params, params.format, delimiter), params.format)
    simple: dict[str, Callable[[], Any]] = {
        "metadata": lambda: _metadata(project, params),
        "instrument": lambda: methods.instruments(project),
        "exportFieldNames": lambda: _field_names(project, params),
        "event": lambda: methods.events(project),
        "arm": methods.arms,
        "formEventMapping": lambda: methods.form_event_mapping(project),
        "repeatingFormsEvents": lambda: methods.repeating_forms(project),
        "dag": methods.dags,
        "user": lambda: methods.users(actor, project),
    }
    if content not in simple and content != "project":
        raise RedcapError(400, f"content: {content or '(none)'} is not a method this server "
                               "answers")
    if params.text("action") == "import" or params.has("data"):
        raise RedcapError(403, f"content {content}: the protocol file defines it; it is not "
                               "imported through the API")
    if content == "project":
        return object_response(methods.project_info(project), params.format, delimiter)
    return rows_response(simple[content](), params.format, delimiter=delimiter)


def _field_names(project: dictionary.Project, params: Params) -> list[dict[str, str]]:
    """``exportFieldNames``, all or the one ``field`` names; an unknown name is an error, as
    REDCap answers it (an empty list would read as a field with no export name)."""
    field = params.text("field")
    rows = dictionary.export_field_names(project, field or None)
    if field and not rows:
        raise RedcapError(400, f"field: no field {field}")
    return rows


def _metadata(project: dictionary.Project, params: Params) -> list[dict[str, str]]:
    rows = dictionary.metadata_rows(project)
    fields, forms = params.array("fields"), params.array("forms")
    unknown = [f for f in fields if f not in project.form_of_field]
    unknown += [f for f in forms if f not in project.forms]
    if unknown:
        raise RedcapError(400, f"no field or instrument {', '.join(unknown)}")
    if fields or forms:
        rows = [row for row in rows if row["field_name"] in fields or row["form_name"] in forms]
    return rows


def _stream(pieces: Any, fmt: str) -> HttpResponse:
    return streamed_rows(iter(pieces), fmt)


def _record(actor: Actor, project: dictionary.Project, params: Params) -> HttpResponse:
    action = params.text("action") or ("import" if params.has("data") else "export")
    if action == "export":
        return _export(actor, project, params)
    if action == "import":
        return _import(actor, project, params)
    if action == "randomize":
        return object_response(methods.randomize(actor, params), params.return_format)
    if action == "delete":
        methods.refuse_delete(actor, params)
    raise RedcapError(400, f"action: {action} is not a record method (export, import, "
                           "delete, randomize)")


def _export(actor: Actor, project: dictionary.Project, params: Params) -> HttpResponse:
    require(actor, READ_PARTICIPANTS)
    fmt = params.format
    kind = params.choice("type", ("flat", "eav"), "flat")
    selection = export.selection_from(project, params)
    export.check_records(actor, selection)
    records = list(selection.records or ())
    do_audit_redcap_read(actor, content="record", request={
        "type": kind, "format": fmt,
        "records": records[:RECORD_LIMIT_OF_A_FILTER],
        "record_count": len(records) if records else "all visible",
        "fields": list(selection.fields) if params.array("fields") or params.array("forms")
        else "all", "events": [e.unique_name for e in selection.events],
        "rawOrLabel": "label" if selection.labels else "raw"})
    delimiter = params.csv_delimiter
    if kind == "eav":
        rows = export.eav_rows(actor, project, selection)
        return _stream(rows_body(rows, fmt, export.EAV_COLUMNS, delimiter=delimiter), fmt)
    columns = selection.columns
    header = export.header_labels(project, columns) if selection.label_headers else None
    return _stream(rows_body(export.flat_rows(actor, project, selection), fmt, columns, header,
                             delimiter), fmt)


def _import(actor: Actor, project: dictionary.Project, params: Params) -> HttpResponse:
    require(actor, "enter_forms")
    fmt = params.format
    if params.flag("forceAutoNumber"):
        raise RedcapError(400, "forceAutoNumber: records are created by screening, not numbered "
                               "by an import")
    date_format = params.choice("dateFormat", ("YMD", "MDY", "DMY"), "YMD")
    if date_format != "YMD":
        raise RedcapError(400, "dateFormat: only YMD (YYYY-MM-DD) is read")
    overwrite = params.choice("overwriteBehavior", ("normal", "overwrite"), "normal")
    returned = params.choice("returnContent", ("count", "ids", "auto_ids", "nothing"), "count")
    if returned == "auto_ids":
        raise RedcapError(400, "returnContent: auto_ids needs forceAutoNumber, which is not "
                               "supported")
    rows = parse_data(params.text("data"), fmt, params.csv_delimiter)
    if params.choice("type", ("flat", "eav"), "flat") == "eav":
        rows = imports.eav_to_flat(rows)
    written = imports.import_rows(actor, project, rows, overwrite=overwrite == "overwrite",
                                  reason=params.text("reason"))
    out = params.return_format
    if returned == "nothing":
        return HttpResponse("", content_type=CONTENT_TYPES[out])
    if returned == "ids":
        if out == "json":
            return HttpResponse(json.dumps(written), content_type=CONTENT_TYPES[out])
        return rows_response(({"id": code} for code in written), out, ["id"],
                             params.csv_delimiter)
    return object_response({"count": len(written)}, out, params.csv_delimiter)
