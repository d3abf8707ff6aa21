"""The analyst's coded groups: a secret mapping, not one derivable from the protocol.

Attack: if "group 1" were always the protocol's first arm, or the first arm code in sorted order,
the analyst would read the arms straight off the coded labels. The mapping must depend on the
server's secret (so that across installations both mappings occur), stay stable within one
installation, and open only with the final unblinding. Before it the analyst's per-participant
groups are the dummy allocation's (tests/web/security/test_security_dummy_allocation.py).
"""

from __future__ import annotations

from eligible import ELIGIBLE_VALUES
from enrollment import enroll
from security_helpers import randomize_both_arms

from trialdesk.web.trials.models import Randomization


def _group_of_arm() -> dict[str, str]:
    from trialdesk.web.trials.analysis_groups import coded_group_labels

    return coded_group_labels()


def test_the_mapping_depends_on_the_servers_secret_only(trial, settings):
    randomize_both_arms(trial)
    seen = set()
    for index in range(16):
        settings.SECRET_KEY = f"installation-{index}-" + "x" * 40
        mapping = _group_of_arm()
        assert sorted(mapping.values()) == ["group 1", "group 2"]
        assert mapping == _group_of_arm()  # stable within one installation
        seen.add(mapping["msc"])
    # "group 1" is the experimental arm on some installations and the control on others:
    # neither protocol order nor alphabetical order gives it away
    assert seen == {"group 1", "group 2"}


def test_the_analyst_gets_no_mapping_and_no_allocation_before_final_unblinding(trial):
    rows = randomize_both_arms(trial)
    analyst = trial.api("analyst")
    assert analyst.get("/api/v1/analysis/group-mapping").status_code == 409
    for row in rows:
        assert analyst.get(f"/api/v1/kits/{row['kit']}").status_code == 404
        detail = analyst.get(f"/api/v1/participants/{row['code']}").json()
        assert "arm" not in detail and "arm_label" not in detail
    assert analyst.get("/api/v1/kits").status_code == 403
    assert analyst.get("/api/v1/audit").status_code == 403
    assert analyst.post(f"/api/v1/participants/{rows[0]['code']}/unblind",
                        {"reason": "I would like to know the arm"}).status_code == 403


def test_group_order_does_not_follow_the_allocation_list(trial):
    """Rows come in randomization order, not in the list's slot order (nor grouped by arm)."""
    investigator = trial.api("investigator-co-01")
    codes = []
    for index in range(4):  # alternate strata: severe and moderate slots lie far apart in the list
        code = enroll(investigator, {**ELIGIBLE_VALUES, "pao2": 70 if index % 2 == 0 else 150})
        assert investigator.post(f"/api/v1/participants/{code}/randomize", {}).status_code == 201
        codes.append(code)
    listed = [r["participant"] for r in trial.api("analyst").get("/api/v1/analysis/groups").json()]
    in_slot_order = Randomization.objects.select_related("participant").order_by("slot__sequence")
    by_slot = [r.participant.code for r in in_slot_order]
    assert listed == codes
    assert by_slot != codes
