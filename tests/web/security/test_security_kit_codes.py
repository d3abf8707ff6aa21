"""Kit codes carry nothing about the arm: not their characters, their check, nor their order.

Attack: the investigator sees every kit code of the site; if the prefix, check character or the
codes' sort order followed the arm (or the list's order, which the blocks tie to the arm), sorting
the kit codes would split the participants by arm.
"""

from __future__ import annotations

import itertools
from collections import Counter

from trialdesk.protocol import load_protocol
from trialdesk.randomization import generate_allocation_list, generate_sequences
from trialdesk.randomization.from_protocol import procedure_from_protocol, protocol_arms
from trialdesk.randomization.kit_codes import ALPHABET, generate_kit_codes
from trialdesk.randomization.random_source import RandomSource
from trialdesk.randomization.strata import all_strata, protocol_factors

SEED = bytes(range(32))


def test_kit_codes_are_a_function_of_the_seed_and_the_count_only():
    protocol = load_protocol()
    allocation_list = generate_allocation_list(protocol, SEED, slots_per_stratum=40)
    expected = generate_kit_codes(len(allocation_list), RandomSource(SEED, "kit-codes"))
    assert [row.kit_code for row in allocation_list] == expected


def test_swapping_the_arms_changes_no_kit_code():
    protocol = load_protocol()
    procedure = procedure_from_protocol(protocol)
    arms, _ = protocol_arms(protocol)
    strata = all_strata(protocol_factors(protocol))
    straight = generate_sequences(procedure, arms, strata, SEED, 40)
    swapped = generate_sequences(procedure, list(reversed(arms)), strata, SEED, 40)
    assert [r.arm for r in straight] != [r.arm for r in swapped]
    assert [r.kit_code for r in straight] == [r.kit_code for r in swapped]


def test_sorting_kit_codes_does_not_sort_the_arms():
    allocation_list = generate_allocation_list(load_protocol(), SEED, slots_per_stratum=1000)
    rows = sorted(allocation_list, key=lambda row: row.kit_code)
    changes = sum(a.arm != b.arm for a, b in itertools.pairwise(rows))
    # independent arms alternate about half the time; arm-ordered codes would almost never
    assert 0.45 < changes / (len(rows) - 1) < 0.55
    for arm in {row.arm for row in rows}:
        codes = [row.kit_code for row in rows if row.arm == arm]
        assert {code[0] for code in codes} == set(ALPHABET)
        assert {code[-1] for code in codes} == set(ALPHABET)  # the check character
        # no first character is more than twice as frequent as the uniform expectation
        assert max(Counter(code[0] for code in codes).values()) < 2 * len(codes) / len(ALPHABET)
