"""The blinding policy, without Django: who may see an arm, coded groups, leak detection."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest

from trialdesk.blinding import (
    BlindingPolicy,
    UnknownRole,
    arm_revealing_texts,
    coded_arm_labels,
    find_leaks,
)
from trialdesk.protocol import load_protocol

PROTOCOL = load_protocol()
POLICY = BlindingPolicy(PROTOCOL)
SITES = [site.code for site in PROTOCOL.sites]


def _sees(role: str, viewer_site: str | None, participant_site: str, **flags: bool) -> bool:
    return POLICY.may_see_arm(role, viewer_site=viewer_site, participant_site=participant_site,
                              **flags)


@pytest.mark.parametrize("role", ["investigator", "coordinator", "data_manager", "analyst",
                                  "monitor", "admin"])
def test_blinded_roles_never_see_an_arm_in_the_normal_course(role):
    viewer_site = "CO-01" if POLICY.is_site_scoped(role) else None
    assert not any(_sees(role, viewer_site, site) for site in SITES)


def test_pharmacist_sees_arms_of_own_site_only():
    for viewer, participant in itertools.product(SITES, SITES):
        assert _sees("pharmacist", viewer, participant) == (viewer == participant)


def test_dsmb_statistician_sees_every_arm():
    assert all(_sees("dsmb_statistician", None, site) for site in SITES)


def test_analyst_sees_arms_only_after_the_trial_is_unblinded():
    assert not _sees("analyst", None, "CO-01")
    assert _sees("analyst", None, "CO-01", trial_unblinded=True)


def test_emergency_unblinding_opens_one_participant_to_the_requester_at_own_site():
    assert _sees("investigator", "CO-01", "CO-01", emergency_unblinded_for_viewer=True)
    assert not _sees("investigator", "CO-02", "CO-01", emergency_unblinded_for_viewer=True)


def test_roles_and_permissions_come_from_the_protocol():
    assert POLICY.role_codes == [role.code for role in PROTOCOL.roles]
    assert POLICY.has_permission("pharmacist", "record_dispensing")
    assert not POLICY.has_permission("pharmacist", "enter_forms")
    assert POLICY.has_permission("investigator", "request_unblinding")
    with pytest.raises(UnknownRole, match="sponsor"):
        POLICY.role("sponsor")


def test_coded_arm_labels_hide_the_mapping_behind_a_key():
    arms = ["msc", "standard"]
    labels = coded_arm_labels(arms, b"key-1")
    assert sorted(labels.values()) == ["group 1", "group 2"]
    assert coded_arm_labels(arms, b"key-1") == labels
    assert coded_arm_labels(list(reversed(arms)), b"key-1") == labels  # order of arms is irrelevant
    mappings = {tuple(sorted(coded_arm_labels(arms, bytes([k])).items())) for k in range(32)}
    assert len(mappings) == 2  # different keys give both mappings


def test_arm_revealing_texts_leave_out_what_all_arms_share():
    texts = arm_revealing_texts(PROTOCOL, ["en", "es"])
    assert "Standard therapy plus MSC" in texts and "Terapia estándar sola" in texts
    assert "Mesenchymal stem cells (intravenous)" in texts
    assert "Standard therapy for COVID-19 ARDS" not in texts


def test_find_leaks_reports_texts_and_arm_fields():
    texts = arm_revealing_texts(PROTOCOL, ["en"])
    assert find_leaks('{"kit_code": "ABCD-EFGH"}', texts) == []
    assert find_leaks('{"arm": "x"}', texts) == ['"arm":']
    assert find_leaks("<td>Standard therapy alone</td>", texts) == ["Standard therapy alone"]


def test_blinding_package_imports_no_django():
    code = "import sys, trialdesk.blinding; print(any(m.startswith('django') for m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"
