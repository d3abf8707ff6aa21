"""The source data verification plan: 100% items always in, the sample reproducible, stable as
participants are added, near its share, raised at risky sites, and blind to the arm."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from trialdesk.monitoring import sdv_plan
from trialdesk.monitoring.sdv_plan import (
    CONSENT,
    DISCONTINUATION,
    FORM,
    SAFETY_EVENT,
    SCREENING,
    Item,
    build_plan,
    draw,
)
from trialdesk.protocol.loader import load_protocol
from trialdesk.protocol.monitoring import Monitoring

PLAN = load_protocol().monitoring
# the plan's secret: a server's comes from its confidential file or its data directory
SEED = "a-secret-seed-of-the-test-plan"
SITES = ("CO-01", "CO-02", "CO-03")
OTHER_FORMS = [("day0", "vital_signs"), ("day0", "laboratory"), ("day3", "respiratory"),
               ("day7", "cytokines"), ("day14", "sofa")]


def _participant_items(code: str, site: str, *, dead: bool = False,
                       serious: bool = False) -> list[Item]:
    items = [Item(CONSENT, code, site), Item(SCREENING, code, site),
             Item(FORM, code, site, "screening", "eligibility", values={"pregnant": False}),
             Item(FORM, code, site, "day28", "end_of_study",
                  values={"vital_status_day28": "dead" if dead else "alive"}),
             Item(FORM, code, site, "day3", "adverse_event", 1,
                  values={"ae_term": "Fever", "ae_serious": serious})]
    items += [Item(FORM, code, site, visit, form) for visit, form in OTHER_FORMS]
    items.append(Item(SAFETY_EVENT, code, site, seq=int(code[-4:]), serious=serious, death=dead))
    if dead:
        items.append(Item(DISCONTINUATION, code, site, death=True))
    return items


def _trial(participants: int, start: int = 1) -> list[Item]:
    items = []
    for number in range(start, start + participants):
        site = SITES[number % 3]
        items += _participant_items(f"{site[:2]}{site[-2:]}-{number:04d}", site,
                                    dead=number % 7 == 0, serious=number % 5 == 0)
    return items


def _plan(plan: Monitoring, items: list[Item], *, seed: str = SEED, shares=None) -> list:
    return build_plan(plan, items, seed=seed, shares=shares)


def _keys(planned) -> set[str]:
    return {p.item.key for p in planned}


def test_the_default_protocol_verifies_consent_eligibility_outcomes_saes_and_deaths_in_full():
    planned = {p.item.key: p for p in _plan(PLAN, _participant_items(
        "CO01-0007", "CO-01", dead=True, serious=True))}
    reasons = {key: p.reason for key, p in planned.items() if p.full}
    assert reasons == {
        "CO01-0007/consent": "consent",
        "CO01-0007/screening": "eligibility",
        "CO01-0007/screening/eligibility/1": "eligibility",
        "CO01-0007/day28/end_of_study/1": "death",
        "CO01-0007/day3/adverse_event/1": "serious_adverse_event",
        "CO01-0007/adverse_event/7": "death",
        "CO01-0007/discontinuation": "death",
    }


def test_a_withdrawal_is_sampled_and_a_death_verified_in_full():
    withdrawn = Item(DISCONTINUATION, "CO01-0002", "CO-01", values={"kind": "withdrew"})
    died = Item(DISCONTINUATION, "CO01-0003", "CO-01", death=True)
    assert sdv_plan.full_reason(PLAN, withdrawn) is None
    assert sdv_plan.full_reason(PLAN, died) == "death"


def test_a_non_serious_event_form_is_in_as_primary_outcome_and_a_non_serious_record_is_not():
    planned = {p.item.key: p.reason for p in _plan(
        PLAN, _participant_items("CO01-0001", "CO-01")) if p.full}
    assert planned["CO01-0001/day3/adverse_event/1"] == "primary_outcome"
    assert planned["CO01-0001/day28/end_of_study/1"] == "primary_outcome"
    assert "CO01-0001/adverse_event/1" not in planned  # not serious: the form is verified instead


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=60), st.randoms(use_true_random=False))
def test_every_full_item_is_in_whatever_the_sample_and_order(participants, rng):
    items = _trial(participants)
    rng.shuffle(items)
    planned = _plan(PLAN, items)
    full = {item.key for item in items if sdv_plan.full_reason(PLAN, item) is not None}
    assert full <= _keys(planned)
    assert all(p.full for p in planned if p.item.key in full)


def test_the_plan_is_reproducible_and_independent_of_order():
    items = _trial(40)
    shuffled = list(items)
    random.Random(3).shuffle(shuffled)
    assert _keys(_plan(PLAN, items)) == _keys(_plan(PLAN, shuffled))
    assert _plan(PLAN, items) == _plan(PLAN, list(items))


def test_adding_participants_changes_no_earlier_choice():
    first = _plan(PLAN, _trial(20))
    more = _plan(PLAN, _trial(20) + _trial(30, start=21))
    earlier = {item.key for item in _trial(20)}
    assert {k for k in _keys(more) if k in earlier} == _keys(first)


def test_another_seed_gives_another_sample():
    sampled = {p.item.key for p in _plan(PLAN, _trial(40)) if not p.full}
    other = {p.item.key for p in _plan(PLAN, _trial(40), seed="another-seed-of-the-plan")
             if not p.full}
    assert sampled != other
    # the 100% items are the same whatever the seed
    assert ({p.item.key for p in _plan(PLAN, _trial(40)) if p.full}
            == {p.item.key for p in _plan(PLAN, _trial(40), seed="x" * 16) if p.full})


def test_the_plan_needs_its_seed_and_the_published_protocol_has_none():
    import pytest

    assert PLAN.seed is None  # the bundled protocol goes to the sites: its seed is kept apart
    with pytest.raises(ValueError, match="seed"):
        build_plan(PLAN, _trial(2), seed="")


def test_the_sampled_share_is_within_tolerance():
    # 2000 participants x 5 other forms: the share's standard error is 0.4 percentage points
    items = [item for item in _trial(2000) if sdv_plan.full_reason(PLAN, item) is None]
    sampled = _plan(PLAN, items)
    assert all(p.reason == "sampled" for p in sampled)
    assert abs(len(sampled) / len(items) - PLAN.share) < 0.015


def test_draws_are_uniform_enough_and_fixed():
    values = [draw("seed-of-a-test", f"key-{i}") for i in range(20000)]
    assert all(0 <= value < 1 for value in values)
    deciles = [sum(1 for v in values if i / 10 <= v < (i + 1) / 10) for i in range(10)]
    assert max(deciles) - min(deciles) < 300  # ~2000 each; 300 is over 6 standard deviations
    # a fixed value: the draw must not change between versions, or plans would be reshuffled
    assert draw("NCT04390152-SDV-plan-1", "CO01-0001/day0/vital_signs/1") == 0.1531193544211989


def test_a_risky_site_gets_the_higher_share_and_keeps_its_earlier_choices():
    items = [item for item in _trial(600) if sdv_plan.full_reason(PLAN, item) is None]
    forms = {site: sum(1 for i in items if i.site == site) for site in SITES}
    shares = sdv_plan.site_shares(PLAN, forms, {"CO-02": forms["CO-02"]})  # one query per form
    assert shares == {"CO-01": 0.2, "CO-02": 0.5, "CO-03": 0.2}
    base, risky = _plan(PLAN, items), _plan(PLAN, items, shares=shares)
    assert _keys(base) <= _keys(risky)
    added = [p for p in risky if p.item.key not in _keys(base)]
    assert added and {p.item.site for p in added} == {"CO-02"}
    assert {p.reason for p in added} == {"risk_sampled"}
    at_co02 = [i for i in items if i.site == "CO-02"]
    in_co02 = [p for p in risky if p.item.site == "CO-02"]
    assert abs(len(in_co02) / len(at_co02) - 0.5) < 0.05


def test_a_site_with_few_forms_keeps_the_base_share():
    assert sdv_plan.site_shares(PLAN, {"CO-01": 3}, {"CO-01": 30}) == {"CO-01": 0.2}


def test_unit_participant_samples_whole_participants():
    plan = PLAN.model_copy(update={"unit": "participant"})
    items = [item for item in _trial(300) if sdv_plan.full_reason(plan, item) is None]
    chosen = {p.item.participant for p in _plan(plan, items)}
    for item in items:
        assert (item.key in _keys(_plan(plan, [item]))) == (item.participant in chosen)
    participants = {item.participant for item in items}
    assert abs(len(chosen) / len(participants) - 0.2) < 0.08


def test_the_plan_takes_no_arm_the_same_plan_under_two_allocations():
    """The plan's inputs name no arm; two allocations of the same participants (each item
    carrying its arm as a value the plan could read) give the same plan."""
    items = _trial(40)
    participants = sorted({item.participant for item in items})

    def allocated(seed: int) -> list[Item]:
        arms = dict(zip(participants, random.Random(seed).choices(["msc", "standard"],
                                                                  k=len(participants)),
                        strict=True))
        return [Item(i.source, i.participant, i.site, i.visit, i.form, i.seq,
                     {**(i.values or {}), "arm": arms[i.participant]}, i.serious, i.death)
                for i in items]

    first, second = allocated(1), allocated(2)
    assert first != second
    assert [p.item.key for p in _plan(PLAN, first)] == [
        p.item.key for p in _plan(PLAN, second)]


def test_the_protocol_section_is_checked():
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=r"risk\.share"):
        Monitoring(share=0.3, risk={"query_rate": 1, "share": 0.1})
    with pytest.raises(ValidationError, match="seed"):  # a short seed is soon guessed
        Monitoring(seed="abcdefgh", share=0.3)
    plan = Monitoring(share=0.3,
                      full={"eligibility": ["nope"],
                            "deaths": [{"form": "end_of_study", "field": "x", "values": ["d"]}]})
    errors = plan.unknown_references({"end_of_study": {"vital_status_day28"}})
    assert errors == ["monitoring.full.deaths[0].field: 'x' is not a field of the form "
                      "'end_of_study'", "monitoring.full.eligibility: 'nope' is not a form of "
                      "the protocol"]
