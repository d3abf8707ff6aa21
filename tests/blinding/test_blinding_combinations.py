"""Which roles one person may hold together (no Django): arms-seeing and blinded roles never mix."""

from __future__ import annotations

import itertools

import pytest

from trialdesk.blinding import BlindingPolicy, ConflictingRoles, UnknownRole, check_role_combination
from trialdesk.protocol import load_protocol

POLICY = BlindingPolicy(load_protocol())
UNBLINDED = [code for code in POLICY.role_codes if POLICY.sees_any_arm(code)]
BLINDED = [code for code in POLICY.role_codes if not POLICY.sees_any_arm(code)]


def test_the_default_protocol_has_both_kinds_of_role():
    assert {"pharmacist", "dsmb_statistician"} <= set(UNBLINDED)
    assert {"investigator", "coordinator", "analyst", "admin"} <= set(BLINDED)


@pytest.mark.parametrize(("unblinded", "blinded"), list(itertools.product(UNBLINDED, BLINDED)))
def test_a_role_that_sees_arms_and_a_blinded_role_are_refused_either_way_round(unblinded,
                                                                               blinded):
    for held, new in ((unblinded, blinded), (blinded, unblinded)):
        with pytest.raises(ConflictingRoles) as refused:
            check_role_combination(POLICY, [held], new)
        assert refused.value.unblinded_role == unblinded
        assert refused.value.blinded_role == blinded
        assert str(refused.value) == (f"the role {unblinded} sees arms and the role {blinded} "
                                      "is blinded: one person may not hold both")


def test_pharmacist_and_investigator_are_refused_with_both_names():
    with pytest.raises(ConflictingRoles, match=r"pharmacist sees arms .* investigator is blinded"):
        check_role_combination(POLICY, ["investigator"], "pharmacist")
    with pytest.raises(ConflictingRoles, match=r"pharmacist sees arms .* investigator is blinded"):
        check_role_combination(POLICY, ["pharmacist"], "investigator")


@pytest.mark.parametrize(("held", "new"), [
    (["investigator"], "coordinator"),
    (["investigator", "coordinator"], "investigator"),
    (["data_manager"], "monitor"),
    (["pharmacist"], "pharmacist"),
    (["pharmacist"], "dsmb_statistician"),
    ([], "pharmacist"),
    ([], "investigator"),
])
def test_roles_of_one_kind_combine(held, new):
    check_role_combination(POLICY, held, new)  # raises nothing


def test_an_unknown_role_is_refused_by_name():
    with pytest.raises(UnknownRole, match="'surgeon'"):
        check_role_combination(POLICY, ["investigator"], "surgeon")
    with pytest.raises(UnknownRole, match="'surgeon'"):
        check_role_combination(POLICY, ["surgeon"], "investigator")
