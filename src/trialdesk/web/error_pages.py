"""The pages' 400, 403, 404 and 405 answers (``handler400`` ... in ``trialdesk.web.urls``; the
405 by ``MethodNotAllowedPageMiddleware``).

Under ``/api/`` the API's JSON error shape answers, as before (``trialdesk.web.api.errors``).
Elsewhere the site's own pages (``templates/400.html`` ...), in the layout and the user's language,
with a way back; the 500 page is ``templates/500.html``, which Django renders with no context.

An error page repeats nothing of the request, not even its address: the address may hold a record
code of another site that the user typed or followed, and the page must read the same whether
that record exists or not. The layout's language switch, given no address to come back to, goes
back to the page the browser came from (Django's ``set_language`` reads the Referer).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.csrf import requires_csrf_token

from trialdesk.web.api import errors as api_errors

# Set over the context processors' ``request``: the layout reads the address from it.
NO_REQUEST_DETAILS = {"request": None}


def _on_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(api_errors.API_PREFIX)


def _page(request: HttpRequest, template: str, status: int) -> HttpResponse:
    body = render_to_string(template, NO_REQUEST_DETAILS, request=request)
    return HttpResponse(body, status=status)


@requires_csrf_token  # the layout's forms (language, sign out) need a token, as Django's own do
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _on_api(request):
        return api_errors.bad_request_view(request, exception)
    return _page(request, "400.html", 400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    # the refusal's text names permissions as codes: it is for the log, never for the page
    if _on_api(request):
        return api_errors.permission_denied_view(request, exception)
    return _page(request, "403.html", 403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _on_api(request):
        return api_errors.page_not_found_view(request, exception)
    return _page(request, "404.html", 404)


class MethodNotAllowedPageMiddleware:
    """A page's 405 (an address that only takes a form's POST, opened from a link, a bookmark
    or the history) as a page in the layout and the user's language with a way back, instead of
    Django's empty answer; the ``Allow`` header stays. The API's 405 is left as it is."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.content or _on_api(request):
            return response
        page = requires_csrf_token(lambda req: _page(req, "405.html", 405))(request)
        if response.has_header("Allow"):
            page["Allow"] = response["Allow"]
        return page
