"""`trialdesk demo`'s simulation: a whole 40-participant trial through the actions, to the final
unblinding, on a simulated clock; its records, CONSORT numbers and audit trail hold together."""

from __future__ import annotations

import json

import pytest
from arm_crawl import arm_findings, arm_patterns, crawl_paths
from click.testing import CliRunner
from django.contrib.auth.models import User
from login import signed_in_client
from trial_factory import FAST_HASHERS

from trialdesk.commands.audit import command as audit_command
from trialdesk.web.capture.models import COMPLETE, Discontinuation, FormInstance, Signature
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.core.protocol import get_policy, get_protocol
from trialdesk.web.simulation import consort_counts, simulate_trial
from trialdesk.web.trials.models import (
    Consent,
    Dispensing,
    FinalUnblinding,
    Participant,
    Randomization,
)

pytestmark = pytest.mark.slow


def _crawl_as_blinded_users() -> list[tuple]:
    """Every page and API GET, as every demo user whose role sees no arm, for a participant of
    each arm: what names an arm (as the attacker's crawl of the security tests looks for)."""
    policy = get_policy()
    patterns = arm_patterns()
    blinded = [user for user in User.objects.filter(memberships__isnull=False, is_active=True)
               if not policy.sees_any_arm(user.memberships.get().role)]
    assert {"investigator", "coordinator", "data_manager", "analyst", "monitor"} <= {
        user.memberships.get().role for user in blinded}
    one_per_arm = {}
    for randomization in Randomization.objects.select_related("participant", "slot").filter(
            participant__site__code="CO-01").order_by("pk"):
        one_per_arm.setdefault(randomization.slot.arm, randomization.participant.code)
    assert len(one_per_arm) == 2
    findings = []
    for code in one_per_arm.values():
        paths = crawl_paths({"code": code, "nct_id": "NCT04390152", "visit": "day1",
                             "form": "infusion"})
        for user in blinded:
            client = signed_in_client(user)
            for path in paths:
                response = client.get(path)
                assert response.status_code < 500, (user.username, path)
                found = arm_findings(response, patterns)
                if found:
                    findings.append((user.username, path, response.status_code, found))
    return findings


@pytest.fixture
def simulated(db, settings, tmp_path):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    stages, crawled = [], {}

    def checkpoint(stage: str) -> None:
        if stage == "lock":  # locked, still blinded: the last moment before the unblinding
            crawled["findings"] = _crawl_as_blinded_users()

    result = simulate_trial(data_dir=tmp_path, participants=40, seed=7, stop_at="final",
                            progress=lambda stage, done, total: stages.append(stage),
                            checkpoint=checkpoint)
    return result, stages, crawled


def test_a_simulated_trial_runs_to_the_final_unblinding(simulated, monkeypatch):
    result, stages, crawled = simulated
    assert list(dict.fromkeys(stages)) == ["setup", "enrollment", "follow-up", "lock", "final",
                                           "outputs"]
    # no page or API answer showed a blinded user an arm before the final unblinding
    assert crawled["findings"] == [], crawled["findings"][:10]
    counts = consort_counts(by_arm=True)
    assert counts == result.counts
    # the numbers add up, and equal the tables' counts
    assert counts["randomized"] == 40 == Randomization.objects.count()
    assert counts["screened"] == Participant.objects.count() > counts["eligible"]
    assert counts["eligible"] >= counts["consented"] == Consent.objects.count() >= 40
    assert sum(counts["randomized_by_arm"].values()) == 40
    assert (counts["completed"] + counts["died"] + counts["withdrew"] + counts["lost"]
            == counts["randomized"])
    assert counts["in_follow_up"] == 0
    assert counts["died"] == Discontinuation.objects.filter(kind="died").count() > 0
    assert counts["withdrew"] == Discontinuation.objects.filter(kind="withdrew").count()
    assert Dispensing.objects.count() == 40
    assert FinalUnblinding.trial_unblinded()
    # enrollment spans months, on the simulated clock
    assert (result.last_randomization - result.first_randomization).days > 60
    assert result.last_randomization.year < 2025
    # every participant has its audit records: screened, and the randomized consented and
    # randomized
    audited = {}
    for object_id, action in AuditRecord.objects.filter(model="participant").values_list(
            "object_id", "action"):
        audited.setdefault(object_id, set()).add(action)
    for participant in Participant.objects.all():
        assert "screen" in audited[participant.code]
    for randomization in Randomization.objects.select_related("participant"):
        assert {"consent", "randomize"} <= audited[randomization.participant.code]
    # forms at the scheduled visits: each visit of the protocol has complete forms
    saved = set(FormInstance.objects.filter(status=COMPLETE).values_list("visit", "form"))
    for visit in get_protocol().visits:
        for form in visit.forms:
            assert (visit.code, form) in saved, (visit.code, form)
    assert FormInstance.objects.filter(visit="log").exists()
    assert Signature.objects.exists()
    assert AuditRecord.objects.filter(action="raise_query").exists()
    assert AuditRecord.objects.filter(action="answer_query").exists()
    assert AuditRecord.objects.filter(action="lock").exists()
    # adverse events reported to the safety database too, serious ones followed up, deaths with
    # their death report
    from trialdesk.web.dsmb.models import Meeting, Report, SignedRecommendation, SponsorResponse
    from trialdesk.web.safety.models import AdverseEvent, AdverseEventFollowUp

    # (an infusion reaction on the infusion form makes an event of its own)
    assert AdverseEvent.objects.filter(source=AdverseEvent.REPORTED).count() == (
        FormInstance.objects.filter(form="adverse_event").count()) > 0
    assert AdverseEvent.objects.filter(death=True).count() == counts["died"]
    assert AdverseEventFollowUp.objects.filter(kind="death_report").count() == counts["died"]
    # the DSMB met at each BOP2 look the trial reached, counted over both arms (5, 10, 15 and 20
    # of the cell arm at 1:1: 10, 20, 30 and 40 participants with their day-28 outcome)
    rule = get_protocol().bop2_monitoring
    evaluable = sum(1 for values in FormInstance.objects.filter(
        form=rule.efficacy.form).values_list("values", flat=True)
        if values.get(rule.efficacy.field) is not None)
    reached = [look for look in rule.pooled_looks(get_protocol().design.allocation_ratio)
               if look <= evaluable]
    assert rule.pooled_looks({"msc": 1, "standard": 1}) == [10, 20, 30, 40]
    assert len(reached) >= 3, evaluable
    assert Meeting.objects.count() == len(reached) == SignedRecommendation.objects.count()
    assert Report.objects.count() == 2 * len(reached)
    assert SponsorResponse.objects.count() == len(reached)
    assert all(f"({look} participants" in meeting.attendees for look, meeting in zip(
        reached, Meeting.objects.order_by("date", "pk"), strict=True))
    # the audit trail verifies, as `trialdesk audit verify` checks it
    for name in ("TRIALDESK_DATA_DIR", "DATABASE_URL", "TRIALDESK_PROTOCOL"):
        monkeypatch.delenv(name, raising=False)
    verify = CliRunner().invoke(audit_command, ["verify", "--json"])
    assert verify.exit_code == 0, verify.output
    assert json.loads(verify.output)["ok"]
    assert AuditRecord.objects.order_by("seq").first().at.year == 2020
    _check_derived_outcomes_and_censored_values()
    # one simulation for both (each takes most of a minute)
    _check_outputs_and_that_the_final_report_equals_trialdesk_analyze_on_the_exports(result)


def _check_derived_outcomes_and_censored_values():
    """Every end-of-study form's ventilator-free days are the protocol's rule applied to the
    participant's recorded episodes (some reintubated); cytokines below the LLOQ are stored
    censored with the assay's limit, none as a number below it."""
    from trialdesk.protocol.censored import is_censored

    form = next(f for f in get_protocol().forms if f.code == "end_of_study")
    rule = form.field("ventilator_free_days").derived
    episodes = {}
    for code, values in FormInstance.objects.filter(
            form="ventilation_episode", status=COMPLETE).values_list("participant__code",
                                                                      "values"):
        episodes.setdefault(code, []).append(values)
    assert any(len(entries) > 1 for entries in episodes.values())  # reintubations
    derived = 0
    # a participant withdrawn from all further data collection (issue 17) may have neither
    from trialdesk.web.trials.consent_state import withdrawals

    stopped = {pid for pid, w in withdrawals(Randomization.objects.values_list(
        "participant_id", flat=True)).items() if w.level == "all_data"}
    for randomization in Randomization.objects.select_related("participant"):
        code = randomization.participant.code
        eos = FormInstance.objects.filter(participant__code=code, form="end_of_study").first()
        if eos is None and randomization.participant_id in stopped:
            continue
        assert eos is not None and code in episodes, code
        status = eos.values["vital_status_day28"]
        if status in ("alive", "dead"):
            expected = rule.evaluate({**eos.values, rule.context_key: episodes[code],
                                      "randomization_date": randomization.randomized_at.date()})
            assert eos.values["ventilator_free_days"] == expected, code
            derived += 1
        else:
            assert "ventilator_free_days" not in eos.values
    assert derived > 30
    censored = 0
    for values in FormInstance.objects.filter(form="cytokines").values_list("values", flat=True):
        for code in ("il1b", "il6", "tnf_alpha", "il10"):
            value = values.get(code)
            lloq = get_protocol().all_fields()[code].lloq
            if is_censored(value):
                assert value == {"censored": "<", "limit": lloq}
                censored += 1
            elif value is not None:
                assert value >= lloq
    assert censored > 0


def _analyze(*arguments: str) -> dict:
    from trialdesk.commands.analyze import command as analyze_command

    outcome = CliRunner().invoke(analyze_command, [*arguments, "--json"])
    assert outcome.exit_code == 0, outcome.output
    return json.loads(outcome.output)


def _check_outputs_and_that_the_final_report_equals_trialdesk_analyze_on_the_exports(result):
    from trialdesk.web.reports.views import report_context
    from trialdesk.web.simulation.cast import find_cast

    outputs = result.outputs
    for name in ("report", "adsl", "adtte", "consort", "forms/end_of_study", "forms/cytokines"):
        assert outputs[name].is_file() and outputs[name].stat().st_size > 0, name
    assert {f"forms/{form.code}" for form in get_protocol().forms} <= set(outputs)
    assert json.loads(outputs["consort"].read_text()) == json.loads(json.dumps(
        result.counts, default=str))
    # the report as the analyst reads it now (unblinded), as written to report.html
    analyst = find_cast({}).analyst
    sections = {s.key: s for s in report_context(analyst)["sections"]}
    mortality, survival = sections["mortality"].result, sections["survival"].result
    assert mortality is not None and survival is not None
    first, second = mortality.a.label, mortality.b.label
    assert first in outputs["report"].read_text() and second in outputs["report"].read_text()
    groups = ["--groups", first, "--groups", second]
    exported = _analyze("proportions", "--data", str(outputs["adsl"]), "--group", "TRT01A",
                        "--event", "DTH28FN", *groups)
    reported = mortality.to_dict()
    # the same figures; only the outcome's name and the column named in the missing-data note
    # (DTH28FN in the export, the report's own column) differ
    for key in ("a", "b", "risk_difference", "relative_risk", "odds_ratio", "test"):
        assert exported[key] == reported[key], key
    assert exported["missing"]["rows_used"] == reported["missing"]["rows_used"]
    # ventilator-free days: ADSL's VFD28 (derived from the episodes) gives the report's figures
    by_vfd = _analyze("vfd", "--data", str(outputs["adsl"]), "--group", "TRT01P", "--vfd",
                      "VFD28", *groups)
    vfd = sections["vfd"].result.to_dict()
    for key in ("a", "b", "test", "shift"):
        assert by_vfd[key] == vfd[key], key
    assert outputs["lb"].is_file() and outputs["adlb"].is_file()
    by_time = _analyze("survival", "--data", str(outputs["adtte"]), "--time", "AVAL",
                       "--censor", "CNSR", "--group", "TRT01P", "--at", "28", *groups)
    assert by_time["logrank"]["statistic"] == pytest.approx(survival.logrank.statistic, rel=1e-9)
    assert by_time["logrank"]["p_value"] == pytest.approx(survival.logrank.p_value, rel=1e-9)
    assert by_time["hazard_ratio"]["estimate"] == pytest.approx(survival.hazard_ratio.estimate,
                                                               rel=1e-6)


def test_the_blinded_report_of_a_trial_in_progress_shows_every_section_with_real_figures(
        db, settings, tmp_path):
    from django.utils import translation

    from trialdesk.web.reports.views import report_context
    from trialdesk.web.simulation.cast import find_cast

    settings.PASSWORD_HASHERS = FAST_HASHERS
    result = simulate_trial(data_dir=tmp_path, participants=40, seed=11, stop_at="enrollment")
    assert result.counts["in_follow_up"] > 0 and "randomized_by_arm" not in result.counts
    assert not FinalUnblinding.trial_unblinded()
    # each site was activated when it opened (the public registry lists active sites only)
    from trialdesk.web.core.models import Site
    from trialdesk.web.trials.models import Participant

    enrolling = set(Participant.objects.values_list("site__code", flat=True))
    active = set(Site.objects.filter(status=Site.ACTIVE).values_list("code", flat=True))
    assert enrolling and enrolling <= active
    assert "adsl" not in result.outputs  # no analysis dataset with arms before the unblinding
    assert "adlb" not in result.outputs
    lb = result.outputs["lb"].read_text(encoding="utf-8")  # assay results carry no arm
    assert "TRT" not in lb.splitlines()[0] and "<" in lb
    with translation.override("en"):
        context = report_context(find_cast({}).analyst)
    assert not context["shows_arms"]
    sections = context["sections"]
    assert len(sections) >= 11
    for section in sections:
        assert "Too few data" not in section.note, (section.key, section.note)
        assert "could not be computed" not in section.note, (section.key, section.note)
        assert section.tables or section.svg, section.key
        if section.key not in ("consort", "enrollment", "pooled", "adverse_events"):
            assert section.result is not None, section.key
    report = result.outputs["report"].read_text()
    assert "Too few data" not in report and "group 1" in report.lower()
