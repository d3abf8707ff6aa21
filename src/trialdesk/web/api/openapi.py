"""The error answers of every operation, added to the OpenAPI schema in one place.

Every error the API sends has one JSON shape (``api/errors.py``): ``{"error": code, "detail":
text}``, with ``fields`` (each ``{"field", "rule"}``, and ``message``/``severity`` for a form's
problems) when input is refused. The schema names it ``Error`` and lists, for each operation, the
statuses it can answer besides its successes, so a client (or a fuzzer) finds each one documented.
"""

from __future__ import annotations

from typing import Any

from trialdesk.web.core.idempotency import FIELD, HEADER, KEY_DESCRIPTION

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "description": "Every error answer of the API.",
    "properties": {
        "error": {"type": "string", "description": "A code: invalid, unauthenticated, "
                  "two_factor_required, forbidden, not_found, method_not_allowed, too_large, "
                  "server_error, or the reason of a conflict (already_randomized, "
                  "database_locked, ...)."},
        "detail": {"type": "string", "description": "What went wrong, for a person."},
        "fields": {"type": "array", "items": {"$ref": "#/components/schemas/ErrorField"},
                   "description": "The refused input, one entry per field."},
    },
    "required": ["error", "detail"],
}

ERROR_FIELD_SCHEMA: dict[str, Any] = {
    "title": "ErrorField",
    "type": "object",
    "properties": {
        "field": {"type": "string", "description": "The field, as a dotted path (values.age)."},
        "rule": {"type": "string", "description": "The rule it breaks."},
        "message": {"type": "string", "description": "A form's problem, for a person."},
        "severity": {"type": "string", "description": "A form's problem: error or warning."},
    },
    "required": ["field", "rule"],
}

# status -> when an operation answers it
ERROR_STATUSES: dict[int, str] = {
    400: "Bad input: a body that is not JSON (or gives a key twice), or a path or query "
         "parameter with characters no field may hold.",
    401: "Not signed in: no session and no valid API token (two_factor_required: a token "
         "issued without a sign-in code, or a session whose code was not given, of an account "
         "that must sign in with two factors).",
    403: "The caller's role may not do this.",
    404: "No such record, or one the caller may not see (the same answer for both).",
    409: "The trial's state forbids it (already done, database locked, ...).",
    413: "The request body is larger than the server accepts.",
    422: "Invalid input: each refused field and the rule it breaks.",
    429: "Too many attempts: signing in is locked for a while.",
    500: "The server failed; the error is logged, and nothing of it is sent.",
}

_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
_REFERENCE = {"$ref": "#/components/schemas/Error"}


def error_statuses(operation: dict[str, Any]) -> list[int]:
    """The error statuses ``operation`` (an OpenAPI operation object) can answer: 401 only when
    it needs authentication, 413 only when it reads a request body."""
    statuses = list(ERROR_STATUSES)
    if not operation.get("security"):
        statuses.remove(401)
    if "requestBody" not in operation:
        statuses.remove(413)
    return statuses


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the ``Error`` schema and every operation's error answers to ``schema``; return it.

    An operation that declares an error status itself (a form's 422) gets the ``Error`` shape
    for it too: every error is sent in it.
    """
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    components["ErrorField"] = ERROR_FIELD_SCHEMA
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in error_statuses(operation):
                responses[str(status)] = {
                    "description": ERROR_STATUSES[status],
                    "content": {"application/json": {"schema": _REFERENCE}},
                }
    return schema


def _body_schema(operation: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema = content.get("schema", {})
    reference = schema.get("$ref", "")
    return components.get(reference.rsplit("/", 1)[-1], {}) if reference else schema


def document_idempotency_keys(schema: dict[str, Any]) -> dict[str, Any]:
    """Document the ``Idempotency-Key`` header on every operation whose body takes an
    ``idempotency_key`` (``core.idempotency``: the header is the same key); return ``schema``."""
    components = schema.get("components", {}).get("schemas", {})
    header = {"name": HEADER, "in": "header", "required": False,
              "description": KEY_DESCRIPTION,
              "schema": {"type": "string", "minLength": 8, "maxLength": 100}}
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if method in _METHODS and FIELD in _body_schema(operation, components).get(
                    "properties", {}):
                parameters = operation.setdefault("parameters", [])
                if all(parameter.get("name") != HEADER for parameter in parameters):
                    parameters.append(header)
    return schema
