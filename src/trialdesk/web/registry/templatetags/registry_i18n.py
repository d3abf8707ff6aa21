"""The language switch of the public pages: plain links, so it works without JavaScript."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.utils.translation import get_language, get_language_info

register = template.Library()


@register.simple_tag(takes_context=True)
def language_links(context: dict[str, Any]) -> list[dict[str, Any]]:
    """Return one link per language: this page with ``lang`` set (other parameters kept)."""
    request = context["request"]
    current = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    links = []
    for code, _name in settings.LANGUAGES:
        query = request.GET.copy()
        query["lang"] = code
        name = get_language_info(code)["name_local"]
        links.append({"code": code, "name": name[:1].upper() + name[1:],
                      "url": f"{request.path}?{query.urlencode()}", "current": code == current})
    return links
