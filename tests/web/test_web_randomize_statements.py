"""What one randomization costs the database: the statements of ``POST .../randomize`` are pinned
(issue 12, finding 8), so that the waste removed cannot creep back.

Before: 18 statements (the ORM re-reading the participant, three existence checks, row locks
SQLite ignores, a select and a save per slot and cursor, ...) and ~12 ms of server CPU per
randomization. Now: 11, each in plain SQL (``core.sql``): the token with its user, role and site;
the participant with its site; the database lock; one read of screening, consent, earlier
randomization, idempotency key and allocation list; the stratum's cursor; the slot taken; the
randomization; the audit head, record and anchor; the restricted allocation log; and (issue 17)
the protocol version in force at the participant's site, whose consent rules the randomization
checks; and (issue 20) whether the role may be used at all: its delegation signed and no password
change pending (``administration.gate``, one statement). Transaction control (BEGIN/COMMIT,
the test's SAVEPOINTs) is not counted.
"""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from enrollment import enroll

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.trials.models import Randomization, RestrictedAllocationLog

MAX_STATEMENTS = 13
# a repeat: the token, the role's delegation, the participant, the database lock, the one read
# that finds the key, the first result with its participant and slot
MAX_REPEAT_STATEMENTS = 6
TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN",
                       "COMMIT")


def _statements(context: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in context.captured_queries
            if not query["sql"].upper().startswith(TRANSACTION_CONTROL)]


def test_a_randomization_takes_at_most_13_sql_statements(trial):
    investigator = trial.api("investigator-co-01")
    first, second = enroll(investigator), enroll(investigator)
    investigator.post(f"/api/v1/participants/{first}/randomize", {})  # warm: nothing cached
    with CaptureQueriesContext(connection) as context:
        response = investigator.post(f"/api/v1/participants/{second}/randomize",
                                     {"idempotency_key": "statement-count-1"})
    assert response.status_code == 201, response.content
    statements = _statements(context)
    assert len(statements) <= MAX_STATEMENTS, "\n".join(statements)
    # and it did everything it must: the allocation, its audit record, the restricted log
    randomization = Randomization.objects.get(participant__code=second)
    assert randomization.number == response.json()["randomization_number"]
    assert randomization.slot.used
    assert AuditRecord.objects.filter(action="randomize", object_id=second).count() == 1
    assert RestrictedAllocationLog.objects.filter(participant_code=second).count() == 1


def test_a_repeat_with_the_same_key_takes_at_most_6_sql_statements(trial):
    investigator = trial.api("investigator-co-01")
    code = enroll(investigator)
    body = {"idempotency_key": "statement-count-2"}
    first = investigator.post(f"/api/v1/participants/{code}/randomize", body)
    with CaptureQueriesContext(connection) as context:
        again = investigator.post(f"/api/v1/participants/{code}/randomize", body)
    assert again.status_code == 200 and again.json() == {**first.json(), "repeated": True}
    statements = _statements(context)
    assert len(statements) <= MAX_REPEAT_STATEMENTS, "\n".join(statements)
