"""The reader's language on the public pages: ``?lang=es`` works without JavaScript or login.

The choice is kept in Django's language cookie, so the links of the page keep it; without a
choice, the cookie or the browser's Accept-Language decide (Django's LocaleMiddleware).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

YEAR = 365 * 24 * 3600


def chosen_language(request: HttpRequest) -> str | None:
    """Return the language named by ``?lang=`` if the server offers it."""
    code = request.GET.get("lang", "")
    return code if code in dict(settings.LANGUAGES) else None


def with_language(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Render the view in the ``?lang=`` language and remember the choice in the cookie."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        code = chosen_language(request)
        if code is None:
            return view(request, *args, **kwargs)
        with translation.override(code):
            response = view(request, *args, **kwargs)
        response.headers["Content-Language"] = code
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, code, max_age=YEAR, samesite="Lax",
                            httponly=True)
        return response

    return wrapper
