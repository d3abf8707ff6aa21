"""schemathesis over the API's own OpenAPI schema, signed in as each role, on both databases.

Every operation of ``/api/v1/openapi.json`` gets a few generated requests, valid ones and
invalid ones (schemathesis's positive and negative modes), as one user of each demo role and
anonymously. Every answer must be no server error (no 5xx), have a status the schema documents
for that operation, and match the schema of that status (body, content type, headers).

- SQLite: in-process, through Django's WSGI application (schemathesis's WSGI transport), one test
  per role inside pytest-django's rolled-back transaction: whatever the fuzzer changes (a database
  lock, a final unblinding, a deactivated user) is undone when the role's test ends.
- PostgreSQL: a real server (``trialdesk serve``) on a fresh database, over HTTP, the roles one
  after the other; after each role every lock left in force is lifted through the API, so the
  next role fuzzes an open trial again, and at the end a new participant is randomized.
- The data manager's run starts by locking the whole database, so every write of its run meets
  the lock (409 ``database_locked``, documented) until its own fuzzer happens to lift it.
- The token exchange (``POST /auth/token``, the one anonymous operation) is fuzzed only by the
  anonymous run: a signed-in role's fuzzer never posts wrong passwords for a real user, and the
  fuzzing user never deactivates itself (a generated ``username`` equal to its own is skipped).

The run is bounded (``EXAMPLES`` per operation and mode, derandomized: the same requests every
run, no shrinking; generated once and sent by every role) so the suite stays within CI's time;
failures are collected across every operation and reported together.
``TRIALDESK_FUZZ_EXAMPLES=50`` runs a longer search (both databases) by hand.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from live_server import (
    demo_users,
    enroll,
    fresh_postgres_database,
    running,
    setup_demo,
    token,
)
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from trial_factory import PASSWORD

pytestmark = pytest.mark.slow

SCHEMA_PATH = "/api/v1/openapi.json"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
_LONGER = os.environ.get("TRIALDESK_FUZZ_EXAMPLES")
EXAMPLES = int(_LONGER or 3)  # per operation and mode, on SQLite (in-process)
EXAMPLES_POSTGRES = int(_LONGER or 1)  # per operation and mode, over HTTP to a live server
TOKEN_EXCHANGE = "POST /api/v1/auth/token"
TIMEOUT = 120  # seconds per request to the live server: a loaded 2-core machine

# Known exceptions: (operation label, check name) -> the finding. Empty: none known.
KNOWN: dict[tuple[str, str], str] = {}


def _roles() -> dict[str, str]:
    """One demo user per role (the first site's for a site role): role -> username."""
    from trialdesk.web.trials.demo import demo_usernames

    users: dict[str, str] = {}
    for username, role, _site in demo_usernames():
        users.setdefault(role, username)
    return users


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,  # the same requests every run: a finding reproduces
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: bounded time
        suppress_health_check=list(HealthCheck),  # slow generation on a loaded machine
    )


def fuzz(schema: Any, call: Callable[[Any], Any], *, examples: int, skip: Callable[[Any], bool],
         include: Callable[[str], bool]) -> tuple[list[str], int]:
    """Send the generated cases of every operation of ``schema`` that ``include`` accepts (by
    label) and ``skip`` does not refuse; ``call`` sends a case and returns the response. Return
    the failures (one entry per operation and check, known exceptions left out) and the number
    of requests sent."""
    failures: dict[tuple[str, str], str] = {}
    sent = 0
    for label, mode, case in generated_cases(schema, examples):
        if not include(label) or skip(case):
            continue
        original = dict(case.path_parameters or {})
        response = call(case)
        sent += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except BaseExceptionGroup as group:
            for failure in group.exceptions:
                title = getattr(failure, "title", type(failure).__name__)
                key = (label, title)
                if key not in failures and not _known(label, title):
                    failures[key] = (f"{label} [{mode.value}]: {title}\n"
                                     f"{group.message[:3000]}")
        finally:
            if case.path_parameters is not None:  # ``call`` may name the seeded records
                case.path_parameters.clear()
                case.path_parameters.update(original)
    return list(failures.values()), sent


# Generated once per schema and number of examples, then sent by every role: generating is most
# of the fuzzer's time (about 18 of 24 s per role in a profile), and with ``derandomize`` every
# role drew exactly these cases anyway.
# The schema is kept with its cases, so that its ``id`` is not reused by another schema.
_GENERATED: dict[tuple[int, int], tuple[Any, list[tuple[str, Any, Any]]]] = {}


def generated_cases(schema: Any, examples: int) -> list[tuple[str, Any, Any]]:
    """(operation label, generation mode, case): up to ``examples`` cases of every operation of
    ``schema`` in each mode, the same every run."""
    key = (id(schema), examples)
    if key not in _GENERATED:
        cases = []
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in MODES:
                cases += [(operation.label, mode, case)
                          for case in _draw(operation, mode, examples)]
        _GENERATED[key] = (schema, cases)
    return _GENERATED[key][1]


def _draw(operation: Any, mode: Any, examples: int) -> list[Any]:
    drawn: list[Any] = []

    @_settings(examples)
    @given(case=operation.as_strategy(generation_mode=mode))
    def collect(case: Any) -> None:
        drawn.append(case)

    collect()
    return drawn


def _known(label: str, title: str) -> bool:
    return any(label == known_label and known_title in title
               for known_label, known_title in KNOWN)


# --- SQLite: in-process, one rolled-back test per role ------------------------------------------

@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    """Django's WSGI application, keeping the test's connection: Django's handler closes the
    connection at each request's start and end (which would end the test's transaction), so
    that signal is disconnected for the test, as Django's test client does."""
    from django.core import signals
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _seed_participant(trial: Any) -> dict[str, str]:
    """One randomized participant at the first site, so lists and details have something;
    return the path parameters that name it (``real`` below)."""
    from enrollment import randomize

    investigator = next(name for name in trial.users if name.startswith("investigator-"))
    code, kit = randomize(trial.api(investigator))
    return {"code": code, "kit_code": kit, **REAL_FORM}


# the path parameters of a form that exists for every randomized participant
REAL_FORM = {"visit": "day0", "form": "respiratory"}


def _with_real_records(real: dict[str, str]) -> Callable[[Any], None]:
    """Every other case that names a participant, kit or form gets the seeded one's (random
    codes alone would only ever reach 404)."""
    count = [0]

    def prepare(case: Any) -> None:
        parameters = case.path_parameters or {}
        if not set(parameters) & set(real):
            return
        count[0] += 1
        if count[0] % 2:
            for name in set(parameters) & set(real):
                parameters[name] = real[name]

    return prepare


ROLES = [*_roles(), "anonymous"]
# the role whose run starts by locking the whole database: every write of its run meets the
# lock (409 database_locked, documented); the lock is undone after it (rollback / unlock)
LOCKING_ROLE = "data_manager"


def _lock_database(schema: Any, call: Callable[[Any], Any], password: str,
                   confirm: Callable[[Any], Any]) -> None:
    """Lock the whole database through ``POST /locks``, checked like any fuzzed answer; the lock
    checklist refuses it (the seeded participant's forms are missing), so through the override:
    requested as the data manager (``password``), confirmed by the principal investigator
    (``confirm`` sends a case with their credentials)."""
    case = schema["/api/v1/locks"]["POST"].Case(
        body={"scope": "database", "reason": "fuzzing a locked trial"},
        media_type="application/json")
    response = call(case)
    case.validate_response(response, checks=CHECKS)
    if response.status_code == 409 and response.json()["error"] == "checklist_outstanding":
        case = schema["/api/v1/locks/overrides"]["POST"].Case(
            body={"scope": "database", "reason": "fuzzing a locked trial", "password": password},
            media_type="application/json")
        response = call(case)
        case.validate_response(response, checks=CHECKS)
        assert response.status_code == 201, response.text
        case = schema["/api/v1/locks/overrides/{override_id}/confirm"]["POST"].Case(
            path_parameters={"override_id": response.json()["id"]},
            body={"password": PASSWORD}, media_type="application/json")
        response = confirm(case)
        case.validate_response(response, checks=CHECKS)
    assert response.status_code == 201, response.text


def _skip_own_user(username: str | None) -> Callable[[Any], bool]:
    """Cases the fuzzer of ``username`` does not send: deactivating itself."""
    def skip(case: Any) -> bool:
        return username is not None and (case.path_parameters or {}).get("username") == username
    return skip


def _include(role: str) -> Callable[[str], bool]:
    """The token exchange is fuzzed anonymously only (no wrong passwords for a real user)."""
    return lambda label: role == "anonymous" or label != TOKEN_EXCHANGE


@pytest.mark.parametrize("role", ROLES)
def test_api_fuzzing_as_role_finds_no_server_error_or_schema_violation(
        role: str, trial: Any, wsgi_app: Any) -> None:
    prepare = _with_real_records(_seed_participant(trial))
    username = _roles().get(role)
    headers = {"Authorization": f"Bearer {_api_token(trial, username)}"} if username else {}
    schema = _wsgi_schema(wsgi_app)

    def call(case: Any) -> Any:
        prepare(case)
        return case.call(headers=headers)

    if role == LOCKING_ROLE:  # undone by the test's rollback
        pi = {"Authorization": f"Bearer {_api_token(trial, 'principal_investigator')}"}
        _lock_database(schema, call, PASSWORD, lambda case: case.call(headers=pi))
    started = time.monotonic()
    failures, sent = fuzz(schema, call, examples=EXAMPLES, skip=_skip_own_user(username),
                          include=_include(role))
    print(f"{role}: {sent} requests in {time.monotonic() - started:.1f} s (SQLite, in-process)")
    assert sent > 0
    assert not failures, "\n\n".join(failures)


_WSGI_SCHEMA: list[Any] = []


def _wsgi_schema(wsgi_app: Any) -> Any:
    """The API's schema over the WSGI transport, loaded once for every role (so its generated
    cases are too); its cases call the first test's application object, which is the same
    Django application as every other test's."""
    if not _WSGI_SCHEMA:
        _WSGI_SCHEMA.append(schemathesis.openapi.from_wsgi(SCHEMA_PATH, wsgi_app))
    return _WSGI_SCHEMA[0]


def _api_token(trial: Any, username: str) -> str:
    from trialdesk.web.accounts.models import ApiToken

    _, secret = ApiToken.issue(trial.users[username])
    return secret


def test_the_fuzzer_reports_an_undocumented_status(trial: Any, wsgi_app: Any) -> None:
    """The harness is not vacuous: with 401 taken out of ``GET /me``'s documented answers, an
    anonymous run reports it."""
    import json

    from django.test import Client

    raw = json.loads(Client().get(SCHEMA_PATH).content)
    del raw["paths"]["/api/v1/me"]["get"]["responses"]["401"]
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = wsgi_app
    failures, sent = fuzz(schema, lambda case: case.call(), examples=1, skip=lambda case: False,
                          include=lambda label: label == "GET /api/v1/me")
    assert sent > 0
    assert failures and "Undocumented status code" in failures[0], failures


# --- PostgreSQL: a live server over HTTP, the roles one after the other -------------------------

@pytest.mark.postgres
def test_api_fuzzing_on_postgres_as_each_role_finds_no_server_error_or_schema_violation(
        postgres_url: str, tmp_path: Path) -> None:
    with fresh_postgres_database(postgres_url) as url:
        setup_demo(tmp_path, url, slots_per_stratum=8)
        users = demo_users(tmp_path)
        with running(tmp_path, url, workers=2, threads=2) as server:
            _fuzz_live_server(server.url, users)


def _fuzz_live_server(base_url: str, users: dict[str, dict[str, Any]]) -> None:
    roles = _roles()
    # every token first: the anonymous run's wrong passwords come from the same address
    tokens = {role: token(base_url, users[username]) for role, username in roles.items()}
    prepare = _with_real_records(_seed_participant_over_http(base_url, tokens["investigator"]))
    schema = schemathesis.openapi.from_url(base_url + SCHEMA_PATH)
    report = _long_usernames(schema, base_url, tokens["admin"])
    for role in ROLES:
        session = requests.Session()
        if role in tokens:
            session.headers["Authorization"] = f"Bearer {tokens[role]}"

        def call(case: Any, session: requests.Session = session) -> Any:
            prepare(case)
            return case.call(base_url=base_url, session=session, timeout=TIMEOUT)

        if role == LOCKING_ROLE:
            pi = requests.Session()
            pi.headers["Authorization"] = f"Bearer {tokens['principal_investigator']}"
            confirming = users[roles["principal_investigator"]]["password"]

            def confirm(case: Any, session: requests.Session = pi,
                        password: str = confirming) -> Any:
                case.body = {"password": password}
                return case.call(base_url=base_url, session=session, timeout=TIMEOUT)

            _lock_database(schema, call, users[roles["data_manager"]]["password"], confirm)
        started = time.monotonic()
        failures, sent = fuzz(schema, call, examples=EXAMPLES_POSTGRES,
                              skip=_skip_own_user(roles.get(role)), include=_include(role))
        print(f"{role}: {sent} requests in {time.monotonic() - started:.1f} s "
              f"(PostgreSQL, live server)")
        report += [f"as {role}: {failure}" for failure in failures]
        lifted = _lift_locks(base_url, tokens["data_manager"])
        if lifted:
            print(f"  lifted {lifted} lock(s) the fuzzer of {role} took")
    # nothing the fuzzers did leaves the trial shut: a new participant is randomized
    _seed_participant_over_http(base_url, tokens["investigator"])
    assert not report, "\n\n".join(report)


# A username the API accepts (up to 150 characters) but longer than the audit trail's
# ``object_id`` column (60): found by the longer search (TRIALDESK_FUZZ_EXAMPLES=25) as a 500 on
# PostgreSQL (``value too long for type character varying(60)``; SQLite does not enforce the
# length), checked here on every run.
LONG_USERNAME = "fuzz." + "u" * 95


def _long_usernames(schema: Any, base_url: str, admin_token: str) -> list[str]:
    """A failed sign-in and a user created with ``LONG_USERNAME``; return the failures."""
    report = []
    requests_ = [
        ("POST", "/api/v1/auth/token", {"username": LONG_USERNAME, "password": "wrong"}, {}),
        ("POST", "/api/v1/users", {"username": LONG_USERNAME, "role": "monitor",
                                   "password": "a long enough password 0123"},
         {"Authorization": f"Bearer {admin_token}"}),
    ]
    for method, path, body, headers in requests_:
        case = schema[path][method].Case(body=body, media_type="application/json")
        response = case.call(base_url=base_url, headers=headers, timeout=TIMEOUT)
        try:
            case.validate_response(response, checks=CHECKS)
        except BaseExceptionGroup as group:
            report.append(f"{method} {path} with a {len(LONG_USERNAME)}-character username: "
                          f"{group.message[:1500]}")
    return report


def _seed_participant_over_http(base_url: str, investigator_token: str) -> dict[str, str]:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {investigator_token}"
    code = enroll(session, base_url, 0)
    answer = session.post(f"{base_url}/api/v1/participants/{code}/randomize", json={},
                          timeout=TIMEOUT)
    assert answer.status_code == 201, answer.text
    return {"code": code, "kit_code": answer.json()["kit_code"], **REAL_FORM}


def _lift_locks(base_url: str, manager_token: str) -> int:
    """Lift every lock in force (a database lock would refuse the next role's writes); return
    how many were lifted."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {manager_token}"
    answer = session.get(f"{base_url}/api/v1/locks", timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    for lock in answer.json():
        lifted = session.post(f"{base_url}/api/v1/locks/{lock['id']}/unlock", timeout=TIMEOUT,
                              json={"reason": "undoing the fuzzer's lock"})
        assert lifted.status_code == 200, lifted.text
    left = session.get(f"{base_url}/api/v1/locks", timeout=TIMEOUT)
    assert left.status_code == 200 and left.json() == [], left.text
    return len(answer.json())


# --- Edge dates: every date and date-time body field at the ends of the calendar -----------------
#
# Hypothesis seldom draws year 1 or 9999, where arithmetic and time-zone conversion overflow
# (issue 12: ``onset_date`` 0001-01-01 and ``investigator_aware_at`` 9999-12-31T23:00-05:00 answered
# 500). So each date field of every operation's body in the schema gets these values by hand, in
# an otherwise plausible body, as a role that may send it: every answer is below 500 and, when
# it is an error, in the API's JSON error shape. One request per field and value, in-process.

EDGE_DATES = ("0001-01-01", "9999-12-31")
EDGE_MOMENTS = ("0001-01-01T00:00:00+05:00", "0001-01-01T00:00:00-05:00",
                "9999-12-31T23:00:00-05:00", "9999-12-31T23:59:59+05:00")
# who sends each operation (by path prefix, the first that matches): a 403 would test nothing
SENDERS = (("/api/v1/dsmb/", "dsmb_statistician"), ("/api/v1/supply/kits/", "pharmacist-co-01"),
           ("/api/v1/supply/", "supply_manager"), ("/api/v1/monitoring/", "monitor"),
           ("/api/v1/deviations", "monitor"), ("/api/v1/amendments", "admin"),
           ("/api/v1/sites/", "admin"), ("/api/v1/", "investigator-co-01"))
# body values a plausible body needs beyond what the schema says (a pattern, a real record)
PLAUSIBLE = {"occurred_on": "2026-01-06", "rationale": "Nothing of concern in the data so far.",
             "reason": "a correction", "text": "An edge-date check", "llt_code": "10019211",
             "password": PASSWORD}


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _formats(schema: dict[str, Any], node: dict[str, Any]) -> set[str]:
    node = _resolve(schema, node)
    found = {node["format"]} if "format" in node else set()
    for option in node.get("anyOf", []) + node.get("oneOf", []) + node.get("allOf", []):
        found |= _formats(schema, option)
    return found


def _plausible(schema: dict[str, Any], name: str, node: dict[str, Any], real: dict[str, str]
               ) -> Any:
    """A value of ``node`` a route would take (today for a date, the seeded participant ...)."""
    import datetime as dt

    node = _resolve(schema, node)
    options = [_resolve(schema, o) for o in node.get("anyOf", []) if o.get("type") != "null"]
    node = options[0] if options else node
    formats = _formats(schema, node)
    if name in real or name in PLAUSIBLE:
        return real.get(name, PLAUSIBLE.get(name))
    if "enum" in node:
        return node["enum"][0]
    if "date-time" in formats:
        return dt.datetime.now(dt.UTC).isoformat()
    if "date" in formats:
        return dt.datetime.now(dt.UTC).date().isoformat()
    kind = node.get("type")
    if kind == "string":
        return "x" * max(node.get("minLength", 1), 1)
    if kind in ("integer", "number"):
        return node.get("minimum", 1)
    return {"boolean": False, "array": [], "object": {}}.get(kind)


def _plausible_body(schema: dict[str, Any], body: dict[str, Any], real: dict[str, str]
                    ) -> dict[str, Any]:
    """The body's required fields, and those naming a seeded record (a participant, a site)."""
    wanted = set(body.get("required", [])) | set(real) | set(PLAUSIBLE)
    return {name: _plausible(schema, name, node, real)
            for name, node in body["properties"].items() if name in wanted}


def _date_fields(schema: dict[str, Any]) -> list[tuple[str, str, str, str, dict[str, Any]]]:
    """(method, path, field, format, body schema) of every date or date-time body field."""
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            body = _resolve(schema, content["application/json"]["schema"])
            for field, node in body.get("properties", {}).items():
                kinds = _formats(schema, node) & {"date", "date-time"}
                if kinds:
                    found.append((method.upper(), path, field, kinds.pop(), body))
    return found


def test_every_date_field_at_the_ends_of_the_calendar_is_answered_below_500(trial: Any) -> None:
    import json

    from django.test import Client

    from trialdesk.web.safety.models import AdverseEvent

    seeded = _seed_participant(trial)
    investigator = trial.api("investigator-co-01")
    investigator.ok("POST", "/api/v1/safety/adverse-events", {
        "participant": seeded["code"], "term": "Headache", "grade": 1,
        "relatedness": "not_related", "onset_date": "2026-01-06"})
    real = {**seeded, "participant": seeded["code"], "site": "CO-01",
            "ae_id": str(AdverseEvent.objects.get().pk)}
    schema = json.loads(Client().get(SCHEMA_PATH).content)
    fields = _date_fields(schema)
    clients = {username: trial.api(username) for _prefix, username in SENDERS}
    for name, (path, key, needs) in CREATORS.items():  # a record per path parameter, today
        body = {**_plausible_body(schema, _request_body(schema, "post", path), real), **needs}
        created = clients[_sender(path)].send("POST", _url(path, real), body)
        assert created.status_code == 201, (path, created.content)
        real[name] = str(created.json()[key])
    failures, answers = [], []
    for method, path, field, kind, body_schema in fields:
        sender, url = _sender(path), _url(path, real)
        body = _plausible_body(schema, body_schema, real)
        for value in EDGE_DATES if kind == "date" else EDGE_MOMENTS:
            answer = clients[sender].send(method, url, {**body, field: value})
            answers.append(answer.status_code)
            where = f"{method} {url} {field}={value} as {sender}"
            if answer.status_code >= 500 or answer.status_code == 403:
                failures.append(f"{where}: {answer.status_code} {answer.content[:300]!r}")
            elif answer.status_code >= 400 and "error" not in answer.json():
                failures.append(f"{where}: not the JSON error shape {answer.content[:300]!r}")
    print(f"{len(fields)} date fields, {len(answers)} requests: "
          f"{ {code: answers.count(code) for code in sorted(set(answers))} }")
    assert len(fields) >= 40  # the schema's date fields were found (43 in December 2026)
    assert not failures, "\n".join(failures)


# the records the operations' path parameters name: (the operation creating one, its key, what
# its body needs beyond the schema's required fields); an amendment (a whole protocol file) and a
# shipment are not made: their operations meet a 404
CREATORS = {"deviation_id": ("/api/v1/deviations", "id",
                             {"category": "eligibility", "severity": "minor",
                              "description": "An edge-date check",
                              "discovery_method": "monitoring_visit"}),
            "visit_id": ("/api/v1/monitoring/visits", "id", {}),
            "item_id": ("/api/v1/monitoring/visits/{visit_id}/action-items", "id", {})}


def _sender(path: str) -> str:
    return next(name for prefix, name in SENDERS if path.startswith(prefix))


def _url(path: str, real: dict[str, str]) -> str:
    """``path`` with its parameters: the seeded records' (a site's code under /sites/)."""
    import string

    names = [name for _text, name, _spec, _conv in string.Formatter().parse(path) if name]
    values = {**real, "code": real["site"]} if path.startswith("/api/v1/sites/") else real
    return path.format(**{name: values.get(name, "1") for name in names})


def _request_body(schema: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    content = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
    return _resolve(schema, content["schema"])
