"""Kit codes: the Crockford base32 alphabet and its GF(32) check (issue 14), the old 0-9A-Z
MOD 37,36 scheme kept for lists made before, reading look-alikes, independence from the arms."""

from __future__ import annotations

import itertools
import random

import pytest

from trialdesk.protocol import load_protocol
from trialdesk.randomization import (
    RandomSource,
    check_character,
    format_kit_code,
    generate_allocation_list,
    generate_sequences,
    get_procedure,
    is_valid_kit_code,
)
from trialdesk.randomization.kit_codes import (
    ALPHABET,
    CROCKFORD,
    CURRENT,
    LEGACY,
    generate_kit_codes,
    read_kit_code,
    scheme_named,
    scheme_of_codes,
)

LOOK_ALIKES = set("ILOU")


def _sample_codes(count: int, scheme=CURRENT) -> list[str]:
    return generate_kit_codes(count, RandomSource(b"k" * 32, "test"), scheme)


# --- the new alphabet -----------------------------------------------------------------------------


def test_the_alphabet_is_crockford_base32():
    assert CURRENT is CROCKFORD
    assert ALPHABET == "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    assert len(ALPHABET) == len(set(ALPHABET)) == 32
    assert not LOOK_ALIKES & set(ALPHABET)


def test_every_generated_code_uses_only_the_new_alphabet():
    # Fails before issue 14: codes mixed O/0 and I/1 (the golden list began BFPN-JOXN, AQOA-QDUV).
    codes = generate_allocation_list(load_protocol(), bytes(range(32)), slots_per_stratum=500)
    characters = {c for row in codes for c in row.kit_code.replace("-", "")}
    assert characters <= set(ALPHABET)
    assert characters == set(ALPHABET)  # and every one of the 32 is used
    for code in _sample_codes(5000):
        assert set(code.replace("-", "")) <= set(ALPHABET), code
        assert is_valid_kit_code(code)
        assert is_valid_kit_code(code, CROCKFORD)


def _gf32_multiply(a: int, b: int) -> int:
    # Schoolbook carry-less multiplication, then reduction by x^5 + x^2 + 1: written apart from the
    # module's Horner scheme so that the two check each other.
    product = 0
    for bit in range(5):
        if b >> bit & 1:
            product ^= a << bit
    for bit in range(8, 4, -1):
        if product >> bit & 1:
            product ^= 0b100101 << (bit - 5)
    return product


def _reference_check(payload: str) -> str:
    # sum over i of x^(7 - i) * value_i + check = 0, i.e. check = sum of x^(7 - i) * value_i
    total = 0
    for position, character in enumerate(payload):
        weight = 1
        for _ in range(len(payload) - position):
            weight = _gf32_multiply(weight, 2)
        total ^= _gf32_multiply(weight, ALPHABET.index(character))
    return ALPHABET[total]


def test_x_generates_the_field_so_all_weights_differ():
    powers = [1]
    for _ in range(30):
        powers.append(_gf32_multiply(powers[-1], 2))
    assert sorted(powers) == list(range(1, 32))
    assert _gf32_multiply(powers[-1], 2) == 1


def test_check_character_matches_an_independent_implementation():
    rng = random.Random(14)
    for _ in range(2000):
        payload = "".join(rng.choice(ALPHABET) for _ in range(7))
        assert check_character(payload) == _reference_check(payload)
    # a few worked by hand: a payload of zeros has check 0; "0000001" has weight x on its 1
    assert check_character("0000000") == "0"
    assert check_character("0000001") == "2"
    assert check_character("1000000") == "M"  # weight x^7 = x^4 + x^2 = 20, and M is 20


def test_every_single_character_substitution_is_caught():
    for code in _sample_codes(300):
        raw = code.replace("-", "")
        for position in range(len(raw)):
            for replacement in ALPHABET:
                if replacement != raw[position]:
                    typo = raw[:position] + replacement + raw[position + 1 :]
                    assert not is_valid_kit_code(typo), (code, typo)


def test_every_transposition_is_caught_exhaustively():
    # Every position pair (adjacent or not) and every pair of different characters: the check
    # is linear, so the other characters do not matter; they are drawn at random anyway.
    rng = random.Random(37)
    missed = []
    for i, j in itertools.combinations(range(8), 2):
        for a, b in itertools.permutations(ALPHABET, 2):
            raw = [rng.choice(ALPHABET) for _ in range(8)]
            raw[i], raw[j] = a, b
            if j == 7:
                # the check character takes part: choose another payload character so that the
                # check is b (exactly one does, as its weight is not zero)
                free = 0 if i != 0 else 1
                raw[free] = next(c for c in ALPHABET
                                 if check_character("".join([*raw[:free], c, *raw[free + 1:7]]))
                                 == b)
            else:
                raw[7] = check_character("".join(raw[:7]))
            code = "".join(raw)
            assert is_valid_kit_code(code)
            swapped = list(code)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            if is_valid_kit_code("".join(swapped)):
                missed.append((code, i, j))
    assert missed == []


def test_every_adjacent_transposition_is_caught_on_a_sample():
    total = 0
    for code in _sample_codes(3000):
        raw = code.replace("-", "")
        for position in range(len(raw) - 1):
            if raw[position] != raw[position + 1]:
                swapped = raw[:position] + raw[position + 1] + raw[position] + raw[position + 2 :]
                total += 1
                assert not is_valid_kit_code(swapped), (code, swapped)
    assert total > 20000


# --- reading what a person typed --------------------------------------------------------------


def _code_with_0_and_1() -> str:
    return next(code for code in _sample_codes(2000) if "0" in code and "1" in code)


def test_look_alikes_case_hyphens_and_spaces_are_read_as_crockford_says():
    code = _code_with_0_and_1()
    typed_variants = [
        code.lower(),
        code.replace("-", ""),
        " ".join(code.replace("-", "")),
        code.replace("0", "O"),
        code.replace("0", "o").replace("1", "I"),
        code.replace("1", "l").replace("0", "O"),
        code.replace("1", "L").lower().replace("-", " "),
    ]
    for typed in typed_variants:
        assert read_kit_code(typed) == code, typed
    assert read_kit_code(code) == code


def test_reading_refuses_what_is_no_code():
    code = _code_with_0_and_1()
    assert read_kit_code(code[:-1]) is None
    assert read_kit_code(code + "0") is None
    wrong = code[:-1] + next(c for c in ALPHABET if c != code[-1])
    assert read_kit_code(wrong) is None
    # U is no look-alike of anything in Crockford's decoding: it stays an error
    assert read_kit_code(code.replace(code[0], "U", 1)) is None


def test_codes_are_unique_formatted_and_tolerate_case_and_spaces():
    codes = _sample_codes(5000)
    assert len(set(codes)) == len(codes)
    assert all(len(code) == 9 and code[4] == "-" for code in codes)
    assert is_valid_kit_code(codes[0].lower().replace("-", " "))
    assert format_kit_code(codes[0].replace("-", "").lower()) == codes[0]


def test_check_character_refuses_characters_outside_the_alphabet():
    with pytest.raises(ValueError, match="without I, L, O, U"):
        check_character("AB*D")
    with pytest.raises(ValueError, match="without I, L, O, U"):
        check_character("ABOD")  # a look-alike is never part of a new code
    assert not is_valid_kit_code("ABCD-EFG")


# --- the old scheme, for lists made before issue 14 -------------------------------------------


@pytest.mark.parametrize(
    "code",
    # Known answers for MOD 37,36 from the test suites of python-stdnum (stdnum.iso7064.mod_37_36
    # docs: calc_check_digit('A12425GABC1234002') == 'M') and xbib's MOD3736Tests.
    ["A12425GABC1234002M", "B159D8FA01240000K", "188166C7342000003"],
)
def test_old_check_character_matches_published_examples(code):
    assert check_character(code[:-1], LEGACY) == code[-1]


def test_old_codes_keep_their_own_rules():
    # the golden list's first codes before issue 14 (tests/data/allocation-list-v1/list.csv)
    for code in ["BFPN-JOXN", "AQOA-QDUV", "9OCR-IZPZ", "V5LA-XREL"]:
        assert is_valid_kit_code(code, LEGACY)
        assert not is_valid_kit_code(code)  # not a code of the new alphabet
        # O and 0, I and 1 are different characters in the old alphabet: nothing is replaced
        assert read_kit_code(code.lower(), LEGACY) == code
    assert read_kit_code("BFPN-J0XN", LEGACY) is None
    with pytest.raises(ValueError, match="0-9 or A-Z"):
        check_character("AB*D", LEGACY)


def test_old_scheme_catches_substitutions_and_nearly_all_adjacent_transpositions():
    caught = total = 0
    for code in _sample_codes(2000, LEGACY):
        raw = code.replace("-", "")
        assert is_valid_kit_code(code, LEGACY)
        for position in range(len(raw)):
            for replacement in LEGACY.alphabet[::5]:
                if replacement != raw[position]:
                    typo = raw[:position] + replacement + raw[position + 1 :]
                    assert not is_valid_kit_code(typo, LEGACY), (code, typo)
        for position in range(len(raw) - 1):
            if raw[position] != raw[position + 1]:
                swapped = raw[:position] + raw[position + 1] + raw[position] + raw[position + 2 :]
                total += 1
                caught += not is_valid_kit_code(swapped, LEGACY)
    # MOD 37,36 is a hybrid system: it misses a transposition only when the two characters'
    # contributions coincide modulo 36, about 1 in 400 here (measured 0.18%).
    assert caught / total > 0.995


def test_a_list_without_a_recorded_scheme_is_old():
    assert scheme_named(None) is LEGACY
    assert scheme_named("iso7064-mod37-36") is LEGACY
    assert scheme_named("crockford32-gf32") is CROCKFORD
    with pytest.raises(ValueError, match="unknown kit code scheme"):
        scheme_named("base36")


def test_the_scheme_of_a_list_without_metadata_follows_its_codes():
    assert scheme_of_codes(["BFPN-JOXN", "AQOA-QDUV"]) is LEGACY
    assert scheme_of_codes(_sample_codes(50)) is CROCKFORD
    assert scheme_of_codes(["BFPN-JOXN", _sample_codes(1)[0]]) in (None, LEGACY)
    assert scheme_of_codes(["BFPN-JOXM"]) is None


# --- what a code says about the arm: nothing ---------------------------------------------------


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
