"""Refuse a request whose path, query string or form fields hold characters no field may hold
(``trialdesk.web.core.characters``), or whose query string or urlencoded form holds bytes that
are not UTF-8, before any view or database sees them.

Every route is covered at once: a NUL in a URL (``/api/v1/participants/AB%00CD``) used to reach a
PostgreSQL query and answer 500. The answer is 400 naming the field (``path``, the query
parameter's or the form field's name) and the rule: on ``/api/`` in the API's JSON error shape
(``{"error", "detail", "fields": [{"field", "rule"}]}``), elsewhere as plain text. JSON bodies
are checked by the API's request schemas (``trialdesk.web.core.schemas.Strict``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, NoReturn
from urllib.parse import unquote_to_bytes

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control

from trialdesk.web.core.characters import UTF8_RULE, escaped, refused_character_rule

API_PREFIX = "/api/"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _wsgi_bytes(text: str) -> bytes:
    # WSGI passes the raw bytes of the path and query string as latin-1 text
    try:
        return text.encode("iso-8859-1")
    except UnicodeEncodeError:  # already decoded (not WSGI): take it as it is
        return text.encode("utf-8")


def _pair_problems(raw: str) -> Iterator[tuple[str, str]]:
    """(field, rule) for each name=value pair of a query string or urlencoded body that breaks
    a rule; the field is the pair's name (its value's problem is reported under its name)."""
    for pair in raw.split("&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition("=")
        name = unquote_to_bytes(_wsgi_bytes(raw_name.replace("+", " ")))
        value = unquote_to_bytes(_wsgi_bytes(raw_value.replace("+", " ")))
        shown = escaped(name.decode("utf-8", errors="replace"))
        try:
            rule = refused_character_rule(name.decode()) or refused_character_rule(value.decode())
        except UnicodeDecodeError:
            rule = UTF8_RULE
        if rule:
            yield shown, rule


def url_problem(request: HttpRequest) -> tuple[str, str] | None:
    """The first (field, rule) the path or the query string breaks, else None."""
    # (Django has already re-percent-encoded path bytes that are not UTF-8: "%FF" is text)
    rule = refused_character_rule(request.path)
    if rule:
        return "path", rule
    return next(_pair_problems(request.META.get("QUERY_STRING", "")), None)


def form_problem(request: HttpRequest) -> tuple[str, str] | None:
    """The first (field, rule) a posted form's field names or values break, else None."""
    if request.method != "POST" or request.content_type not in FORM_TYPES:
        return None
    if request.content_type == "application/x-www-form-urlencoded":
        # the raw body (Django keeps it for request.POST): invalid UTF-8 is seen, not replaced
        return next(_pair_problems(request.body.decode("iso-8859-1")), None)
    # multipart: the fields as parsed (file contents are the import's to check)
    for name, values in request.POST.lists():
        for text in (name, *values):
            rule = refused_character_rule(text)
            if rule:
                return escaped(name), rule
    for name in request.FILES:
        rule = refused_character_rule(name)
        if rule:
            return escaped(name), rule
    return None


class RefusedForm(BadRequest):
    """A refused form was read (the middleware answers with the refusal)."""


class _RefusedPost:
    """Stands for ``request.POST`` when a field breaks a rule: any reading of it raises."""

    def __init__(self, request: HttpRequest, field: str, rule: str) -> None:
        self._request, self._field, self._rule = request, field, rule

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._request.refused_form = (self._field, self._rule)  # type: ignore[attr-defined]
        raise RefusedForm(f"{self._field}: {self._rule}")

    __getitem__ = __iter__ = __contains__ = __len__ = __bool__ = _refuse

    def __getattr__(self, name: str) -> NoReturn:
        self._refuse()


def refusal(request: HttpRequest, field: str, rule: str, status: int = 400) -> HttpResponse:
    """A refused request: the API's JSON error shape on /api/, plain text elsewhere."""
    detail = f"{field}: {rule}"
    if request.path_info.startswith(API_PREFIX):
        body = {"error": "invalid", "detail": detail, "fields": [{"field": field, "rule": rule}]}
        response = HttpResponse(json.dumps(body), status=status,
                                content_type="application/json; charset=utf-8")
    else:
        response = HttpResponse(detail + "\n", status=status,
                                content_type="text/plain; charset=utf-8")
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)
    return response


class RefuseBadCharactersMiddleware:
    """400 for a request with NUL, control or bidi/zero-width characters in its path, query
    string or form fields, or bytes that are not UTF-8 in the latter two (see the module).

    The path and query string are refused at once. A bad form is refused when something reads
    it (the CSRF check, the page, the view): a route that takes no POST still answers 405, as it
    does to any POST, since its view never reads the form.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = url_problem(request)
        if problem is not None:
            return refusal(request, *problem)
        problem = form_problem(request)
        if problem is not None:
            request.POST = _RefusedPost(request, *problem)
        response = self.get_response(request)
        refused = getattr(request, "refused_form", None)
        if refused is not None:
            return refusal(request, *refused)
        return response
