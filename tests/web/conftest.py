"""Fixtures of the trial server tests: a loaded trial with one user per role per site."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import live_server
import pytest
from trial_factory import Trial, make_trial


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Each test starts in the server's default language: a sign-in through the test client
    activates the user's language in this thread and nothing ends that request's activation, so a
    Spanish user's sign-in in one test would otherwise translate the next test's labels."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def trial(db: Any, settings: Any) -> Trial:
    """Sites, one user per role per site (``<role>-co-01`` ...), and the committed list."""
    return make_trial(settings)


# --- live servers (live_server.py): marked slow, and never outliving their test module ---------

def _names_a_live_server(function: Any, targets: tuple[Any, ...], seen: set[Any]) -> bool:
    """Whether ``function``, or a function of its own module that it names (transitively), names
    one of ``targets`` (``live_server.running``/``Server``)."""
    function = inspect.unwrap(function)
    code = getattr(function, "__code__", None)
    if code is None or code in seen:
        return False
    seen.add(code)
    codes = [code]
    while codes:  # the function's code and its nested functions' and lambdas'
        current = codes.pop()
        codes.extend(const for const in current.co_consts if inspect.iscode(const))
        for name in current.co_names:
            value = function.__globals__.get(name)
            if any(value is target for target in targets):
                return True
            if (inspect.isfunction(value) and value.__module__ == function.__module__
                    and _names_a_live_server(value, targets, seen)):
                return True
    return False


@pytest.hookimpl(tryfirst=True)  # before -m selects on the marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``slow`` every test that starts a real server: through ``live_server.running`` or
    ``Server`` (in the test, a fixture of it, or a helper of its module) or pytest-django's
    ``live_server`` fixture."""
    targets = (live_server.running, live_server.Server)
    for item in items:
        if not isinstance(item, pytest.Function):
            continue
        fixture_info = getattr(item, "_fixtureinfo", None)
        fixtures = [definition.func
                    for definitions in getattr(fixture_info, "name2fixturedefs", {}).values()
                    for definition in definitions]
        seen: set[Any] = set()
        if "live_server" in item.fixturenames or any(
                _names_a_live_server(function, targets, seen)
                for function in [item.function, *fixtures]):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="module", autouse=True)
def _live_servers_end_with_their_module() -> Iterator[None]:
    """A server a test module leaves running (a test that failed between ``Server()`` and
    ``kill()``) is killed when the module ends, not at the end of the session, and errors."""
    yield
    left = live_server.kill_all()
    if left:
        pytest.fail(f"server process groups left running by this module (now killed): {left}")
