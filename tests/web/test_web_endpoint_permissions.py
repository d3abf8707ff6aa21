"""Every page and API operation names what it asks of a role where it is declared (``@page``,
``@endpoint``, ``@public``), every name is on the closed permission list, and every permission on
the list opens at least one endpoint; every writer is an ``@action``."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

import trialdesk.web
from trialdesk.blinding import ALL_PERMISSIONS
from trialdesk.web.core.actions import REGISTERED
from trialdesk.web.core.permissions import PUBLIC, names

# Routes served by Django's and django-ninja's own views (language switch, schema and docs).
FRAMEWORK_MODULES = ("django.", "ninja.", "functools")


def _walk(patterns: list, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def page_declarations() -> dict[str, Any]:
    """Return route -> declared requirement of every page (None: nothing declared)."""
    found = {}
    for route, callback in _walk(get_resolver().url_patterns):
        if route.startswith("api/"):
            continue
        view = getattr(callback, "view_class", callback)
        if getattr(view, "__module__", "").startswith(FRAMEWORK_MODULES):
            continue
        found[route] = getattr(view, "permission", None)
    return found


def api_declarations() -> dict[str, Any]:
    """Return "METHOD path" -> declared requirement of every API operation."""
    from trialdesk.web.api.router import api

    found = {}
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    found[f"{method} {prefix}{path}"] = getattr(
                        operation.view_func, "permission", None)
    return found


def _declared_names(declarations: dict[str, Any]) -> set[str]:
    return {name for requirement in declarations.values() if requirement is not None
            for name in names(requirement)}


def test_the_walk_finds_pages_and_api_operations():
    pages, operations = page_declarations(), api_declarations()
    assert "capture/locks/" in pages
    assert "POST /participants/{code}/randomize" in operations
    assert pages["capture/locks/"] == "lock"
    assert operations["POST /participants/{code}/randomize"] == "randomize"


def test_every_page_declares_what_it_asks_of_a_role():
    undeclared = sorted(route for route, requirement in page_declarations().items()
                        if requirement is None)
    assert undeclared == []


def test_every_api_operation_declares_what_it_asks_of_a_role():
    undeclared = sorted(operation for operation, requirement in api_declarations().items()
                        if requirement is None)
    assert undeclared == []


def test_only_permissions_on_the_list_are_declared():
    declared = _declared_names(page_declarations()) | _declared_names(api_declarations())
    declared |= {name for action in REGISTERED.values() if action.permission is not None
                 for name in names(action.permission)}
    assert declared - ALL_PERMISSIONS == set()


def test_every_permission_on_the_list_opens_some_endpoint():
    declared = _declared_names(page_declarations()) | _declared_names(api_declarations())
    assert sorted(ALL_PERMISSIONS - declared) == []


def test_public_pages_are_the_registry_and_signing_in_only():
    public = {route for route, requirement in page_declarations().items() if requirement == PUBLIC}
    assert public and all(route.startswith(("registry", "accounts/")) for route in public), public
    public_api = {op for op, requirement in api_declarations().items() if requirement == PUBLIC}
    assert public_api == {"POST /auth/token"}


def _web_modules() -> Iterator[Any]:
    for info in pkgutil.walk_packages(trialdesk.web.__path__, prefix="trialdesk.web."):
        if ".migrations" in info.name or info.name.endswith((".wsgi", ".settings")):
            continue
        yield importlib.import_module(info.name)


@pytest.mark.django_db
def test_every_writer_is_an_action():
    """A ``do_*`` function anywhere in the server is decorated with ``@action``."""
    writers = {}
    for module in _web_modules():
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("do_") and function.__module__ == module.__name__:
                writers[f"{module.__name__}.{name}"] = function
    assert writers, "no writer found"
    undecorated = sorted(name for name, function in writers.items()
                         if not hasattr(function, "refuse_when_locked"))
    assert undecorated == []
    assert set(writers) <= set(REGISTERED)
