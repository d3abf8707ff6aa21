"""Every API error is one small JSON shape: ``{"error": code, "detail": text, "fields": [...]}``.

The shape is described as ``Error`` in the OpenAPI schema (``api/openapi.py``). It holds for every
answer under ``/api/``: the operations' own errors, a body too large (413), an unexpected
exception (500, logged, its text never sent), and the errors Django answers before or outside an
operation (an unknown URL, a refused request, a failure in a middleware), through the handlers
at the end of this module, which the root URL configuration names.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from django.conf import settings
from django.core import signals
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.http import Http404, HttpRequest, HttpResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views import defaults
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from trialdesk.web.api.auth import TwoFactorRequired
from trialdesk.web.api.parser import DuplicateKey
from trialdesk.web.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from trialdesk.web.core.unavailable import Unavailable, diagnose

API_PREFIX = "/api/"
TOO_LARGE = "the request body is larger than the server accepts"
SERVER_ERROR = "the server failed to answer; the error is logged"
# Django's own logger of server errors: its handlers (a console, mail to the admins) see ours too
request_logger = logging.getLogger("django.request")

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

    @api.exception_handler(TwoFactorRequired)
    def two_factor_required(request: HttpRequest, exc: TwoFactorRequired) -> HttpResponse:
        # the rule by its name: a script's author learns which token to ask for, and how
        return respond(request, 401, "two_factor_required", exc.detail)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja's own refusals, such as a body that is not JSON, in the same shape as ours
        if exc.status_code == 400 and isinstance(exc.__cause__, DuplicateKey):
            field = exc.__cause__.field
            return respond(request, 400, "invalid", f"{field}: appears more than once",
                           [{"field": field, "rule": "appears more than once in its object"}])
        if exc.status_code == 400:
            return respond(request, 400, "invalid", "the request body is not valid JSON",
                           [{"field": "body", "rule": "must be valid JSON"}])
        return respond(request, exc.status_code, "refused", str(exc))

    @api.exception_handler(Http404)
    def http_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, "not_found", "no such record")

    @api.exception_handler(PermissionDenied)
    def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, 403, "forbidden", "not allowed")

    @api.exception_handler(RequestDataTooBig)
    def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return respond(request, 413, "too_large", TOO_LARGE)

    @api.exception_handler(BadRequest)
    @api.exception_handler(SuspiciousOperation)
    def bad_request(request: HttpRequest, exc: Exception) -> HttpResponse:
        return respond(request, 400, "invalid", "the request cannot be read")

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        # the database unreachable or its disk full: 503/507 saying so (core.unavailable)
        unavailable = diagnose(exc)
        if unavailable is not None:
            _log_unavailable(request, unavailable, exc)
            return unavailable_response(request, unavailable)
        # as Django does for a view's exception: signal it (error trackers, the test client) and
        # log it with its traceback; the answer says nothing of it (no text, no type)
        signals.got_request_exception.send(sender=None, request=request)
        request_logger.error("Internal Server Error: %s", request.path, exc_info=exc,
                             extra={"status_code": 500, "request": request})
        return respond(request, 500, "server_error", SERVER_ERROR)

    @api.exception_handler(Conflict)
    def conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        # a conflict about one field (an idempotency key reused) names it and its rule
        return respond(request, 409, exc.reason, exc.message, getattr(exc, "fields", None))


def error_response(status: int, error: str, detail: str,
                   fields: list[dict[str, str]] | None = None) -> HttpResponse:
    """The API's error shape, for an answer made outside the API's own handlers."""
    body: dict[str, Any] = {"error": error, "detail": detail}
    if fields is not None:
        body["fields"] = fields
    response = HttpResponse(json.dumps(body), status=status,
                            content_type="application/json; charset=utf-8")
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)
    return response


def _on_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


# Django's error views (``handler400`` ... in ``trialdesk.web.urls``): the API's shape under /api/
# (a URL no operation matches, a refusal before or outside an operation), Django's pages elsewhere.

def bad_request_view(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _on_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):  # Django answers it with its 400 handler
        return error_response(413, "too_large", TOO_LARGE)
    return error_response(400, "invalid", "the request cannot be read")


def permission_denied_view(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _on_api(request):
        return defaults.permission_denied(request, exception)
    return error_response(403, "forbidden", "not allowed")


def page_not_found_view(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _on_api(request):
        return defaults.page_not_found(request, exception)
    return error_response(404, "not_found", "no such API operation")


def _log_unavailable(request: HttpRequest, unavailable: Unavailable, exc: BaseException) -> None:
    request_logger.error("%s (%s): %s; data directory %s", unavailable.error, unavailable.status,
                         request.path, settings.DATA_DIR, exc_info=exc,
                         extra={"status_code": unavailable.status, "request": request})


def unavailable_response(request: HttpRequest, unavailable: Unavailable) -> HttpResponse:
    """503 (with Retry-After) or 507: the API's JSON error, or a page that reads no database."""
    if _on_api(request):
        response = error_response(unavailable.status, unavailable.error, unavailable.detail)
    else:
        page = loader.get_template(f"{unavailable.status}.html").render()
        response = HttpResponse(page, status=unavailable.status)
        add_never_cache_headers(response)
    if unavailable.retry_after is not None:
        response["Retry-After"] = str(unavailable.retry_after)
    return response


def server_error_view(request: HttpRequest) -> HttpResponse:
    # Django calls its handler500 inside the except block of the failure: a database that
    # cannot answer (in a view, the session or token look-up, a middleware) is said as such
    unavailable = diagnose(sys.exc_info()[1])
    if unavailable is not None:
        return unavailable_response(request, unavailable)
    if not _on_api(request):
        return defaults.server_error(request)
    return error_response(500, "server_error", SERVER_ERROR)


def method_not_allowed(response: HttpResponse) -> HttpResponse:
    """ninja's 405 (plain text) in the API's shape, keeping its ``Allow`` header."""
    allowed = response.get("Allow", "")
    shaped = error_response(405, "method_not_allowed",
                            f"this URL answers {allowed}" if allowed else "method not allowed")
    if allowed:
        shaped["Allow"] = allowed
    return shaped
