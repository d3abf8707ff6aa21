"""An attacker's crawl for arm codes: what to look for, and every page and GET operation to ask.

- ``arm_patterns()``: an arm's code as a JSON value or quoted word, its type, arm-specific words
  (MSC, placebo, vehicle, CMM), in English and Spanish;
- ``crawl_paths(values)``: every route of the server and every GET of the API, with the URL
  parameters filled from ``values`` (e.g. ``{"code": "CO-01-0001", "visit": "day1"}``), except
  the public registry and static files;
- ``arm_findings(response, patterns)``: what the patterns find in the body, headers and cookies.
"""

from __future__ import annotations

import json
import re

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from trialdesk.web.core.protocol import get_protocol

_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\{(\w+)\}|\(\?P<(\w+)>[^)]*\)")
# The public registry lists the arms by law; it is checked for allocations elsewhere.
PUBLIC = ("/registry", "/static/", "/i18n/")


def arm_patterns() -> list[re.Pattern]:
    protocol = get_protocol()
    # An arm code such as "standard" is also an English word ("standard error"): it counts when
    # quoted, as a JSON value, an HTML attribute (class, data-, value) or a Python repr is.
    patterns = [re.compile(rf"(?<=[\"']){re.escape(arm.code)}(?=[\"' ])|"
                           rf"(?<=[\"' ]){re.escape(arm.code)}(?=[\"'])")
                for arm in protocol.design.arms]
    words = {arm.type for arm in protocol.design.arms}
    words |= {"MSC", "CMM", "placebo", "vehicle", "vehículo"}
    patterns += [re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])", re.IGNORECASE)
                 for word in words]
    return patterns


def _routes(patterns=None, prefix=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _fill(route: str, values: dict[str, str]) -> str:
    route = route.replace("^", "").replace("\\Z", "").replace("$", "").replace("[/]", "/")
    def one(match: re.Match) -> str:
        name = next(g for g in match.groups() if g)
        return values.get(name, "1")
    return "/" + _PARAM.sub(one, route.replace("\\.", ".")).lstrip("/")


def crawl_paths(values: dict[str, str]) -> list[str]:
    paths = {_fill(route, values) for route in _routes() if "openapi" not in route}
    schema = json.loads(Client().get("/api/v1/openapi.json").content)
    for path, methods in schema["paths"].items():
        if "get" in methods:
            paths.add(_fill(path, values))
    return sorted(p for p in paths if not p.startswith(PUBLIC))


def arm_findings(response, patterns) -> list[str]:
    texts = [response.content.decode("utf-8", errors="replace")]
    texts += [f"{k}: {v}" for k, v in response.headers.items()]
    texts += [f"{c.key}={c.value}" for c in response.cookies.values()]
    return sorted({m.group(0) for text in texts for p in patterns for m in p.finditer(text)})
