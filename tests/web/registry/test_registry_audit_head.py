"""The public record shows the audit trail's head (number, hash, day) so that anyone can keep a
copy a rollback of the database cannot reach (issue 12, finding 6); nothing about participants.

The head is the newest record written before today (UTC), dated to its day (issue 14): a reader
polling the page would otherwise see the number move at the minute of each dispensing, which the
blinded audit trail leaves out because the pharmacy's timings sort participants by arm."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from days import days_later
from enrollment import enroll, randomize
from registry_seed_page import html_text, seeded_registry
from trial_factory import activate_sites

from trialdesk.commands.audit import command as audit_command
from trialdesk.protocol import load_protocol
from trialdesk.web.core.models import AuditRecord

RECORD = "/registry/NCT04390152"
pytestmark = pytest.mark.usefixtures("seeded_registry")
__all__ = ["seeded_registry"]  # a fixture, used through usefixtures


@pytest.fixture(autouse=True)
def open_sites(trial) -> None:
    """This module's tests bring patients in, which only an active site does (the registry
    tests' trial leaves its sites planned)."""
    activate_sites()


def head_section(html: str) -> str:
    """From the audit head's heading to the end of the live figures."""
    match = re.search(r'<h3 id="audit-head-heading">.*?</section>', html, re.S)
    assert match, "no audit head on the page"
    return match.group(0)


def shown_head(html: str) -> str:
    match = re.search(r'<code class="hash">(\d+:[0-9a-f]{64})</code>', head_section(html))
    assert match, "no SEQ:HASH in the audit head section"
    return match.group(1)


def without_head(text: str) -> str:
    """The text without its SEQ:HASH line (whose digits could pass for a time)."""
    return re.sub(r"\d+:[0-9a-f]{64}", "", text)


def test_the_record_shows_the_newest_audit_head_and_nothing_about_participants(trial, client):
    investigator = trial.api("investigator-co-01")
    randomized = [randomize(investigator) for _ in range(2)]  # (participant code, kit code)
    consented = enroll(investigator)
    head = AuditRecord.objects.order_by("-seq").first()

    with days_later():  # today's records join the head tomorrow
        html = client.get(RECORD).content.decode()
    section = head_section(html)
    text = html_text(section)
    assert shown_head(html) == f"{head.seq}:{head.hash}"
    day = f"{head.at:%B} {head.at.day}, {head.at:%Y}"
    assert f"The newest record written before today is number {head.seq}, of {day} (UTC" in text
    assert not re.search(r"\d\d:\d\d", without_head(text))  # no time of day
    assert "trialdesk audit verify --expect-head" in text

    protocol = load_protocol()
    forbidden = [code for code, _ in randomized] + [kit for _, kit in randomized] + [consented]
    forbidden += [arm.code for arm in protocol.design.arms]
    forbidden += [arm.label.text(language) for arm in protocol.design.arms
                  for language in ("en", "es")]
    forbidden += ["msc", "placebo", "standard therapy", "investigator-co-01", head.actor,
                  head.action, json.dumps(head.changes)]
    assert [word for word in forbidden if word.lower() in section.lower()] == []
    for word in [*forbidden[:5], head.prev_hash]:  # nor anywhere on the public page
        assert word not in html


def test_the_head_moves_with_the_trial_and_a_copy_of_it_checks_the_database(
        trial, client, monkeypatch, tmp_path):
    investigator = trial.api("investigator-co-01")
    randomize(investigator)
    with days_later():
        kept = shown_head(client.get(RECORD).content.decode())  # a reader keeps a copy
    randomize(investigator)
    with days_later():
        now = shown_head(client.get(RECORD).content.decode())
    assert int(now.split(":")[0]) > int(kept.split(":")[0])
    last = AuditRecord.objects.order_by("-seq").first()
    assert now == f"{last.seq}:{last.hash}"

    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(tmp_path))  # the command sets it; restore ours
    for head in (kept, now):
        result = CliRunner().invoke(audit_command, ["verify", "--json", "--data-dir", ".",
                                                    "--expect-head", head])
        assert result.exit_code == 0 and json.loads(result.output)["ok"], result.output


def test_the_audit_head_in_spanish(trial, client):
    randomize(trial.api("investigator-co-01"))
    head = AuditRecord.objects.order_by("-seq").first()
    with days_later():
        html = client.get(RECORD, {"lang": "es"}).content.decode()
    text = html_text(head_section(html))
    assert ">Cabeza del registro de auditoría</h3>" in html
    assert (f"La entrada más reciente escrita antes de hoy es la número {head.seq}, "
            f"del {head.at.day} de ") in text
    assert f"{head.at:%Y} (UTC;" in text
    assert shown_head(html) == f"{head.seq}:{head.hash}"


def test_polling_the_head_dates_no_record_of_today(trial, client):
    """A dispensing at 10:03 must not move the public head at 10:03: today's records are not in
    it, and a head shows its day, never its time."""
    investigator = trial.api("investigator-co-01")
    _, kit = randomize(investigator)
    assert 'id="audit-head-heading"' not in client.get(RECORD).content.decode()  # all today
    with days_later():
        before = shown_head(client.get(RECORD).content.decode())
    assert trial.api("pharmacist-co-01").post(f"/api/v1/kits/{kit}/dispense",
                                              {"lot": "L1"}).status_code == 201
    assert 'id="audit-head-heading"' not in client.get(RECORD).content.decode()
    with days_later():
        html = client.get(RECORD).content.decode()
    assert shown_head(html) != before  # tomorrow, the dispensing is in the head: dated, untimed
    assert not re.search(r"\d\d:\d\d", without_head(html_text(head_section(html))))
