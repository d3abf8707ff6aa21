"""The API's JSON body parser: no key given twice in one object (``core.strict_json``); such a
body is refused (400 naming the key, ``api/errors.py``)."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest
from ninja.parser import Parser
from ninja.types import DictStrAny

from trialdesk.web.core.strict_json import DuplicateKey, loads

__all__ = ["DuplicateKey", "StrictJSONParser", "loads"]


class StrictJSONParser(Parser):
    """ninja's parser with :func:`loads`; ninja turns its errors into a 400 (``HttpError``) whose
    cause is the error raised here."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        return cast(DictStrAny, loads(request.body))
