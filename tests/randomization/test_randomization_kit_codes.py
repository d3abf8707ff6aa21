"""Kit codes: ISO/IEC 7064 MOD 37,36 check character, uniqueness, independence from the arms."""

from __future__ import annotations

import itertools

import pytest

from trialdesk.randomization import (
    RandomSource,
    check_character,
    format_kit_code,
    generate_sequences,
    get_procedure,
    is_valid_kit_code,
)
from trialdesk.randomization.kit_codes import ALPHABET, generate_kit_codes


@pytest.mark.parametrize(
    "code",
    # Known answers for MOD 37,36 from the test suites of python-stdnum (stdnum.iso7064.mod_37_36
    # docs: calc_check_digit('A12425GABC1234002') == 'M') and xbib's MOD3736Tests.
    ["A12425GABC1234002M", "B159D8FA01240000K", "188166C7342000003"],
)
def test_check_character_matches_published_examples(code):
    assert check_character(code[:-1]) == code[-1]


def _sample_codes(count: int) -> list[str]:
    return generate_kit_codes(count, RandomSource(b"k" * 32, "test"))


def test_every_single_character_substitution_is_caught():
    for code in _sample_codes(100):
        raw = code.replace("-", "")
        assert is_valid_kit_code(code)
        for position in range(len(raw)):
            for replacement in ALPHABET:
                if replacement != raw[position]:
                    typo = raw[:position] + replacement + raw[position + 1 :]
                    assert not is_valid_kit_code(typo), (code, typo)


def test_nearly_every_adjacent_transposition_is_caught():
    caught = total = 0
    for code in _sample_codes(2000):
        raw = code.replace("-", "")
        for position in range(len(raw) - 1):
            if raw[position] != raw[position + 1]:
                swapped = raw[:position] + raw[position + 1] + raw[position] + raw[position + 2 :]
                total += 1
                caught += not is_valid_kit_code(swapped)
    # MOD 37,36 is a hybrid system: it misses a transposition only when the two characters'
    # contributions coincide modulo 36, about 1 in 400 here (measured 0.18%).
    assert caught / total > 0.995


def test_codes_are_unique_formatted_and_tolerate_case_and_spaces():
    codes = _sample_codes(5000)
    assert len(set(codes)) == len(codes)
    assert all(len(code) == 9 and code[4] == "-" for code in codes)
    assert is_valid_kit_code(codes[0].lower().replace("-", " "))
    assert format_kit_code(codes[0].replace("-", "").lower()) == codes[0]


def test_kit_codes_do_not_depend_on_the_arms():
    # Codes come from their own stream of the seed: two procedures that allocate differently get
    # the very same codes in the same slots, so a code (or the sorted order of codes) says nothing
    # about the arm.
    seed = b"s" * 32
    strata = ["site=A", "site=B"]
    blocks = generate_sequences(
        get_procedure("permuted-blocks", block_sizes=[4]), ["a", "b"], strata, seed, 20
    )
    coin = generate_sequences(get_procedure("complete"), ["a", "b"], strata, seed, 20)
    assert [row.arm for row in blocks] != [row.arm for row in coin]
    assert [row.kit_code for row in blocks] == [row.kit_code for row in coin]


def test_sorting_kit_codes_does_not_group_the_arms():
    seed = b"t" * 32
    allocation_list = generate_sequences(
        get_procedure("permuted-blocks", block_sizes=[2]), ["a", "b"], ["all"], seed, 2000
    )
    in_code_order = [row.arm for row in sorted(allocation_list, key=lambda row: row.kit_code)]
    # Under independence the number of runs of equal arms in sorted order is about n/2 + 1 with
    # s.d. about sqrt(n)/2 (Wald-Wolfowitz runs test); 4 s.d. either way.
    runs = 1 + sum(a != b for a, b in itertools.pairwise(in_code_order))
    assert abs(runs - 1001) < 4 * (2000**0.5) / 2


def test_check_character_refuses_characters_outside_the_alphabet():
    with pytest.raises(ValueError, match="0-9 or A-Z"):
        check_character("AB*D")
    assert not is_valid_kit_code("ABCD-EFG")
