"""The infusion form's kit code (issue 14): a code typed with a look-alike (o for 0, I or l for 1),
in lower case or without its hyphen is stored as printed on the kit; other text is refused, as any
code but the participant's own kit is (issue 18, tests/web/supply/test_supply_infusion_kit.py)."""

from __future__ import annotations

from capture_testkit import form_path, stored

from trialdesk.web.trials.models import Randomization

INFUSION = {"infusion_start": "2026-01-06T10:00", "infusion_end": "2026-01-06T11:00",
            "infusion_reaction": "no"}


def _randomized_with_0_or_1(ct) -> tuple[str, str]:
    for _ in range(12):  # about 40% of codes hold a 0 or a 1
        code = ct.randomize()
        kit = Randomization.objects.get(participant__code=code).slot.kit_code
        if {"0", "1"} & set(kit):
            return code, kit
    raise AssertionError("no kit with a 0 or a 1 in 12 randomizations")


def test_a_kit_code_typed_with_look_alikes_is_stored_as_printed(ct):
    code, kit = _randomized_with_0_or_1(ct)
    typed = kit.replace("-", "").replace("0", "o").replace("1", "I").lower()
    saved = ct.api("coordinator-co-01").put(form_path(code, "day1", "infusion"),
                                            {"values": {**INFUSION, "kit_code": typed}})
    assert saved.status_code == 201, saved.content
    values, _ = stored(code, "day1", "infusion")
    assert values["kit_code"] == kit


def test_other_text_in_the_kit_code_is_refused_and_nothing_stored(ct):
    code = ct.randomize()
    saved = ct.api("coordinator-co-01").put(form_path(code, "day1", "infusion"),
                                            {"values": {**INFUSION, "kit_code": " bag 7 "}})
    assert saved.status_code == 422, saved.content
    assert [f["field"] for f in saved.json()["fields"]] == ["kit_code"]
    assert stored(code, "day1", "infusion") == (None, None)
