"""Issue 19: the audit head's e-mail is written in its recipient's language: a user's address in
the user's (Spanish here, the time as Spanish writes it), any other address in the trial's."""

from __future__ import annotations

from click.testing import CliRunner
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.formats import date_format
from trial_factory import make_trial

from trialdesk.commands.audit import command as audit_command
from trialdesk.web.core.models import AuditRecord, Membership

SPANISH, OTHER = "auditora@sponsor.example", "dsmb@example.org"


def test_the_head_is_mailed_in_each_recipients_language(
        db, settings, mailoutbox, monkeypatch, tmp_path):
    make_trial(settings)
    reader = get_user_model().objects.create_user("auditora", email=SPANISH)
    Membership.objects.create(user=reader, role="monitor", language="es")
    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(tmp_path))  # the command sets it; restore ours
    result = CliRunner().invoke(audit_command, [
        "head", "--data-dir", ".", "--publish", f"mailto:{SPANISH}", "--publish",
        f"mailto:{OTHER}"])
    assert result.exit_code == 0, result.output
    last = AuditRecord.objects.order_by("-seq").first()
    sent = {message.to[0]: message for message in mailoutbox}
    spanish, english = sent[SPANISH], sent[OTHER]
    assert spanish.subject.endswith(f"cabeza del registro de auditoría {last.seq}")
    assert english.subject.endswith(f"audit head {last.seq}")
    with translation.override("es"):
        written = date_format(last.at, "DATETIME_FORMAT")
    assert f"en la entrada {last.seq}, escrita el {written} (UTC)," in spanish.body
    assert "Conserve este mensaje." in spanish.body and "Please" not in spanish.body
    assert "Please keep this message." in english.body
    for message in (spanish, english):  # the head itself, as it is, in both
        assert f"--expect-head {last.seq}:{last.hash}" in message.body
