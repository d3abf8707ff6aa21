"""Ventilator-free days on the end-of-study form: derived from the ventilation episodes, shown
read-only, kept current when an episode changes (audited, signatures voided, locks respected)."""

from __future__ import annotations

import datetime as dt

from capture_testkit import form_path, page_path, stored
from trial_factory import PASSWORD

from trialdesk.web.capture.models import FormInstance, Signature
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.trials.models import Randomization

COORD = "coordinator-co-01"
INV = "investigator-co-01"


def _day0(code: str) -> dt.date:
    return Randomization.objects.get(participant__code=code).randomized_at.date()


def _at(code: str, day: int, hour: int = 10) -> str:
    return f"{_day0(code) + dt.timedelta(days=day)}T{hour:02d}:00"


def _episode(ct, code, seq, start, stop=None, mode="ett", **extra):
    values = {"ventilation_start": start, "ventilation_stop": stop,
              "ventilation_episode_mode": mode}
    return ct.api(COORD).put(form_path(code, "log", "ventilation_episode") + f"?seq={seq}",
                             {"values": values, "complete": True, **extra})


def _end_of_study(ct, code, values, **extra):
    return ct.api(COORD).put(form_path(code, "day28", "end_of_study"),
                             {"values": values, "complete": True, **extra})


def _vfd(code):
    values, _ = stored(code, "day28", "end_of_study")
    return values.get("ventilator_free_days")


def test_end_of_study_derives_vfd_from_the_episodes_and_refuses_a_typed_value(ct):
    code = ct.randomize(days_ago=30)
    assert _episode(ct, code, 1, _at(code, -1), _at(code, 6)).status_code == 201
    typed = _end_of_study(ct, code, {"vital_status_day28": "alive", "ventilator_free_days": 25})
    assert typed.status_code == 422
    problem = typed.json()["fields"][0]
    assert (problem["field"], problem["rule"]) == ("ventilator_free_days", "derived")
    assert stored(code, "day28", "end_of_study") == (None, None)
    saved = _end_of_study(ct, code, {"vital_status_day28": "alive"})
    assert saved.status_code == 201, saved.content
    assert saved.json()["values"]["ventilator_free_days"] == 21  # days 0-6 ventilated


def test_death_by_day_28_gives_0_and_unknown_status_gives_none(ct):
    dead = ct.randomize(days_ago=30)
    _episode(ct, dead, 1, _at(dead, -1), _at(dead, 2))
    _end_of_study(ct, dead, {"vital_status_day28": "dead",
                             "death_date": str(_day0(dead) + dt.timedelta(days=12))})
    assert _vfd(dead) == 0
    lost = ct.randomize(days_ago=30)
    _episode(ct, lost, 1, _at(lost, -1), _at(lost, 2))
    _end_of_study(ct, lost, {"vital_status_day28": "unknown",
                             "last_contact_date": str(_day0(lost) + dt.timedelta(days=10))})
    assert _vfd(lost) is None


def test_a_reintubation_entered_later_updates_the_stored_value_with_an_audit_record(ct):
    code = ct.randomize(days_ago=30)
    _episode(ct, code, 1, _at(code, -1), _at(code, 5))
    _end_of_study(ct, code, {"vital_status_day28": "alive"})
    assert _vfd(code) == 22
    _, version = stored(code, "day28", "end_of_study")
    assert _episode(ct, code, 2, _at(code, 9, 22), _at(code, 12, 3)).status_code == 201
    assert _vfd(code) == 18  # days 0-5 and 9-12
    _, new_version = stored(code, "day28", "end_of_study")
    assert new_version == version + 1
    record = AuditRecord.objects.filter(object_id=f"{code}/day28/end_of_study/1").order_by(
        "-pk").first()
    assert record.action == "save_form"
    assert record.changes == {"ventilator_free_days": {"old": 22, "new": 18}}
    assert f"{code}/log/ventilation_episode/2" in record.reason
    # a non-invasive episode does not count
    _episode(ct, code, 3, _at(code, 14), _at(code, 16), mode="niv")
    assert _vfd(code) == 18


def test_an_episode_still_ongoing_at_day_28_gives_0(ct):
    code = ct.randomize(days_ago=30)
    _episode(ct, code, 1, _at(code, -2))
    _end_of_study(ct, code, {"vital_status_day28": "alive"})
    assert _vfd(code) == 0
    # the stop entered later frees the days after it
    _episode(ct, code, 1, _at(code, -2), _at(code, 20), reason="extubation recorded")
    assert _vfd(code) == 7


def test_a_changed_episode_voids_the_end_of_study_signature(ct):
    code = ct.randomize(days_ago=30)
    _episode(ct, code, 1, _at(code, -1), _at(code, 5))
    _end_of_study(ct, code, {"vital_status_day28": "alive"})
    signed = ct.api(INV).post(form_path(code, "day28", "end_of_study") + "/sign",
                              {"password": PASSWORD})
    assert signed.status_code == 201, signed.content
    _episode(ct, code, 1, _at(code, -1), _at(code, 8), reason="extubation time corrected")
    assert _vfd(code) == 19
    signature = Signature.objects.get(form_instance__form="end_of_study")
    assert signature.voided_at is not None and "derived value recomputed" in \
        signature.void_reason


def test_a_locked_end_of_study_refuses_an_episode_change_that_would_change_it(ct):
    code = ct.randomize(days_ago=30)
    _episode(ct, code, 1, _at(code, -1), _at(code, 5))
    _end_of_study(ct, code, {"vital_status_day28": "alive"})
    FormInstance.objects.filter(participant__code=code, form="end_of_study").update(locked=True)
    before = stored(code, "log", "ventilation_episode")
    refused = _episode(ct, code, 1, _at(code, -1), _at(code, 9), reason="late correction")
    assert refused.status_code == 409
    assert stored(code, "log", "ventilation_episode") == before
    assert _vfd(code) == 22


def test_the_form_page_shows_the_derived_value_read_only(ct):
    from login import signed_in_client

    code = ct.randomize(days_ago=30)
    _episode(ct, code, 1, _at(code, -1), _at(code, 5))
    _end_of_study(ct, code, {"vital_status_day28": "alive"})
    page = signed_in_client(ct.users[COORD]).get(page_path(code, "day28", "end_of_study"))
    body = page.content.decode()
    assert page.status_code == 200
    assert 'id="derived-ventilator_free_days">22</output>' in body
    assert 'name="ventilator_free_days"' not in body or "disabled" in body.split(
        'name="ventilator_free_days"')[1].split(">")[0]
