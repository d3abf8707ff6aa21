"""Issue 13: a slot's first entry is stored in one INSERT (``core.sql``) rather than the ORM's
``save()``; the row, its audit record and its ``post_save`` are those ``save()`` gave."""

from __future__ import annotations

from capture_testkit import RESPIRATORY_OK
from django.contrib.auth.models import User
from django.db.models.signals import post_save

from trialdesk.web.capture.access import access_form_slot
from trialdesk.web.capture.actions import do_save_form
from trialdesk.web.capture.models import COMPLETE, FormInstance
from trialdesk.web.core import clock
from trialdesk.web.core.actor import actor_for
from trialdesk.web.core.models import AuditRecord

COORD = "coordinator-co-01"


def test_a_first_entry_is_stored_audited_and_announced_as_save_did(ct):
    code = ct.randomize(days_ago=2)
    coordinator = actor_for(User.objects.get(username=COORD))
    slot = access_form_slot(coordinator, code, "day0", "respiratory")
    sent = []

    def listen(sender, instance, created, update_fields=None, **_):
        sent.append((instance.key, created, update_fields, instance.pk))

    post_save.connect(listen, sender=FormInstance, dispatch_uid="test_new_entry")
    try:
        saved = do_save_form(coordinator, slot, values=RESPIRATORY_OK, complete=True)
    finally:
        post_save.disconnect(sender=FormInstance, dispatch_uid="test_new_entry")
    row = FormInstance.objects.get(pk=saved.pk)
    assert sent == [(f"{code}/day0/respiratory/1", True, None, row.pk)]
    assert (row.participant.code, row.site_id, row.visit, row.form, row.seq) == (
        code, row.participant.site_id, "day0", "respiratory", 1)
    assert row.values == saved.values and row.values["pao2"] == 80
    assert row.values["pao2_fio2"] == 160  # the derived value, stored with the entry
    assert (row.status, row.version, row.signed, row.locked) == (COMPLETE, 1, False, False)
    assert row.confirmed == {} and row.warnings == saved.warnings
    assert row.protocol_version == slot.protocol_version
    assert row.created_by.username == row.updated_by.username == COORD
    assert row.created_at == row.updated_at <= clock.now()
    audit = AuditRecord.objects.order_by("-seq").first()
    assert (audit.action, audit.actor, audit.object_id) == (
        "save_form", COORD, f"{code}/day0/respiratory/1")
    assert audit.changes["pao2"] == {"old": None, "new": 80}
    assert audit.changes["status"] == {"old": None, "new": COMPLETE}
    # a second save is an update of the same row (the ORM's save, version 2)
    again = do_save_form(coordinator, access_form_slot(coordinator, code, "day0", "respiratory"),
                         values={**RESPIRATORY_OK, "pao2": 82}, complete=True,
                         reason="Transcription corrected.", expected_version=1)
    assert again.pk == row.pk and FormInstance.objects.get(pk=row.pk).version == 2
