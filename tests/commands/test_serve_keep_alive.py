"""gunicorn keeps idle connections open longer than client pools do.

Issue 12, finding 7: gunicorn's default keep-alive (2 s) closed pooled connections just as clients
reused them (6 connection resets in a 32-client run).
"""

from __future__ import annotations

from trialdesk.commands.server import gunicorn_arguments

# the idle timeout of common pools and proxies: a load balancer's 60 s is the longest usual one
LONGEST_CLIENT_IDLE_SECONDS = 60


def _option(arguments: list[str], name: str) -> str:
    assert arguments.count(name) == 1, arguments
    return arguments[arguments.index(name) + 1]


def test_the_server_keeps_idle_connections_longer_than_client_pools():
    arguments = gunicorn_arguments("gunicorn", "127.0.0.1", 8000, 4, 4)
    assert int(_option(arguments, "--keep-alive")) > LONGEST_CLIENT_IDLE_SECONDS


def test_the_command_line_keeps_its_other_options():
    arguments = gunicorn_arguments("/venv/bin/gunicorn", "10.0.0.5", 8123, 2, 8)
    assert arguments[:2] == ["/venv/bin/gunicorn", "trialdesk.web.wsgi:application"]
    assert _option(arguments, "--bind") == "10.0.0.5:8123"
    assert (_option(arguments, "--workers"), _option(arguments, "--threads")) == ("2", "8")
    assert _option(arguments, "--worker-class") == "gthread"
    assert "--no-control-socket" in arguments
