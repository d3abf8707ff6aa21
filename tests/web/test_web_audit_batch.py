"""Issue 13: records appended together (``append_audits``: a signing session, a monitoring visit)
are the records ``append_audit`` writes one by one: linked, hashed, anchored each."""

from __future__ import annotations

import json

from click.testing import CliRunner
from django.db import transaction

from trialdesk.commands.audit import command as audit_command
from trialdesk.web.core.audit import append_audit, append_audits
from trialdesk.web.core.models import AuditAnchor, AuditRecord

# more than one multi-row INSERT's worth of records (90 a statement)
ENTRIES = [{"actor": "investigator-co-01", "action": "sign_form", "model": "form_instance",
            "object_id": f"CO-{n:03d}/day1/vital_signs/1",
            "changes": {"signed": {"old": False, "new": True}, "n": {"old": None, "new": n}},
            "reason": "ñ " * (n % 3)} for n in range(200)]


def _fields(record: AuditRecord) -> tuple:
    return (record.actor, record.action, record.model, record.object_id, record.changes,
            record.reason)


def test_records_appended_together_are_linked_hashed_and_anchored_each(trial, monkeypatch,
                                                                      tmp_path):
    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(tmp_path))
    head = AuditRecord.objects.order_by("-seq").first().seq
    with transaction.atomic():
        append_audit(**ENTRIES[0])
        assert append_audits(ENTRIES[1:]) == len(ENTRIES) - 1
        append_audit(**ENTRIES[0])  # the chain goes on from the batch's last record
    assert append_audits([]) == 0
    written = list(AuditRecord.objects.filter(seq__gt=head).order_by("seq"))
    assert [_fields(r) for r in written] == [_fields(AuditRecord(**e)) for e in
                                             [*ENTRIES, ENTRIES[0]]]
    assert [r.seq for r in written] == list(range(head + 1, head + len(ENTRIES) + 2))
    anchors = AuditAnchor.objects.filter(seq__gt=head).order_by("seq")
    assert list(anchors.values_list("seq", "hash")) == [(r.seq, r.hash) for r in written]
    result = CliRunner().invoke(audit_command, ["verify", "--json", "--data-dir", "."])
    assert result.exit_code == 0 and json.loads(result.output)["ok"]


def test_instances_inserted_together_read_back_with_their_keys_in_order(trial):
    """``core.sql.insert_instances`` (a monitoring visit's verifications): each row stored as
    the ORM stores it, each instance given its own row's primary key, over several statements."""
    from django.utils import timezone

    from trialdesk.web.core import sql

    now = timezone.now()
    made = sql.insert_instances([AuditAnchor(seq=n, hash=f"{n:064x}", at=now)
                                 for n in range(700)])  # 300 rows a statement
    assert [(a.seq, a.hash, a.at) for a in made] == [
        (a.seq, a.hash, a.at) for a in AuditAnchor.objects.filter(pk__in=[a.pk for a in made])
        .order_by("pk")]
    assert [a.seq for a in sorted(made, key=lambda a: a.pk)] == list(range(700))
    assert sql.insert_instances([]) == []
