"""Every API error is one small JSON shape: ``{"error": code, "detail": text, "fields": [...]}``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from trialdesk.web.core.errors import Conflict, Forbidden, InvalidInput, NotFound

_RULES = {
    "missing": "is required",
    "extra_forbidden": "is not an accepted field",
}


# pydantic names the member of a union that failed ("data.str", "data.list[dict[str,any]]")
_UNION_TAGS = {"str", "int", "float", "bool", "list", "dict", "none", "date", "datetime"}


def _field_name(loc: list[Any]) -> str:
    # ninja prefixes the location with "body"/"query"/"path" and the parameter name
    parts = [str(part) for part in loc]
    if parts and parts[0] in ("body", "query", "path"):
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in ("body", "payload"):
        parts = parts[1:]
    if len(parts) > 1:
        parts = parts[:1] + [p for p in parts[1:] if p not in _UNION_TAGS and "[" not in p]
    return ".".join(parts) or "body"


def _merged(fields: list[dict[str, str]]) -> list[dict[str, str]]:
    """Return one entry per field; a union's members each add a rule ("... or ...")."""
    rules: dict[str, list[str]] = {}
    for item in fields:
        rules.setdefault(item["field"], [])
        if item["rule"] not in rules[item["field"]]:
            rules[item["field"]].append(item["rule"])
    return [{"field": name, "rule": " or ".join(texts)} for name, texts in rules.items()]


def install_error_handlers(api: NinjaAPI) -> None:
    """Map validation, access and state errors to JSON responses with status codes."""

    def respond(request: HttpRequest, status: int, error: str, detail: str,
                fields: list[dict[str, str]] | None = None) -> HttpResponse:
        body: dict[str, Any] = {"error": error, "detail": detail}
        if fields is not None:
            body["fields"] = fields
        return api.create_response(request, body, status=status)

    @api.exception_handler(ValidationError)
    def validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = _merged([
            {"field": _field_name(item.get("loc", [])),
             "rule": _RULES.get(item.get("type", ""),
                                item.get("msg", "is invalid").removeprefix("Value error, "))}
            for item in exc.errors
        ])
        names = ", ".join(f["field"] for f in fields)
        return respond(request, 422, "invalid", f"invalid fields: {names}", fields)

    @api.exception_handler(InvalidInput)
    def invalid(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
        return respond(request, 422, "invalid", f"{exc.field}: {exc.rule}",
                       [{"field": exc.field, "rule": exc.rule}])

    @api.exception_handler(NotFound)
    def not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
        return respond(request, 404, "not_found", "no such record")

    @api.exception_handler(Forbidden)
    def forbidden(request: HttpRequest, exc: Forbidden) -> HttpResponse:
        return respond(request, 403, "forbidden", str(exc))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return respond(request, 401, "unauthenticated", "sign in or send an API token")

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja's own refusals, such as a body that is not JSON, in the same shape as ours
        if exc.status_code == 400:
            return respond(request, 400, "invalid", "the request body is not valid JSON",
                           [{"field": "body", "rule": "must be valid JSON"}])
        return respond(request, exc.status_code, "refused", str(exc))

    @api.exception_handler(Conflict)
    def conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        return respond(request, 409, exc.reason, exc.message)
