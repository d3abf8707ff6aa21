"""Commitment to a list: what breaks the match, what does not, and why the salt is needed."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools

import pytest

from trialdesk.randomization import (
    Allocation,
    canonical_form,
    commit_list,
    generate_sequences,
    get_procedure,
    new_salt,
    verify_list,
    write_allocation_csv,
)
from trialdesk.randomization.csv_io import parse_allocation_rows

SALT = "ab" * 32


@pytest.fixture
def rows() -> list[Allocation]:
    allocation_list = generate_sequences(
        get_procedure("permuted-blocks", block_sizes=[4]),
        ["msc", "standard"],
        ["site=CO-01", "site=CO-02"],
        b"c" * 32,
        8,
    )
    return list(allocation_list.rows)


def test_commitment_is_sha256_of_the_documented_canonical_form():
    rows = [
        Allocation(2, "site=CO-01", "standard", "pqar-992y", block=1, block_size=2),
        Allocation(1, "site=CO-01", "msc", "XZ1Y-LCNI", block=1, block_size=2),
    ]
    # Written by hand from the format in trialdesk.randomization.commitment's docstring.
    expected = (
        "trialdesk-allocation-list-v1\n"
        f"salt:{SALT}\n"
        "1,site=CO-01,msc,XZ1Y-LCNI\n"
        "2,site=CO-01,standard,PQAR-992Y\n"
    ).encode()
    assert canonical_form(rows, SALT) == expected
    assert commit_list(rows, SALT).commitment == hashlib.sha256(expected).hexdigest()


def test_unchanged_list_matches(rows):
    commitment = commit_list(rows, SALT)
    assert verify_list(rows, SALT, commitment.commitment).match


def _changed_arm(rows):
    changed = list(rows)
    other = "msc" if rows[5].arm == "standard" else "standard"
    changed[5] = dataclasses.replace(rows[5], arm=other)
    return changed, rows[5].sequence


def _changed_kit_code(rows):
    changed = list(rows)
    changed[3] = dataclasses.replace(rows[3], kit_code="ZZZZ-ZZZ" + rows[3].kit_code[-1])
    return changed, rows[3].sequence


def _swapped_order(rows):
    # Two rows with different arms exchange places in the allocation order.
    i, j = next(
        (i, j) for i, j in itertools.combinations(range(len(rows)), 2) if rows[i].arm != rows[j].arm
    )
    changed = list(rows)
    changed[i] = dataclasses.replace(rows[j], sequence=rows[i].sequence)
    changed[j] = dataclasses.replace(rows[i], sequence=rows[j].sequence)
    return changed, rows[i].sequence


@pytest.mark.parametrize("change", [_changed_arm, _changed_kit_code, _swapped_order])
def test_any_change_breaks_the_match_and_the_receipt_names_the_row(rows, change):
    commitment = commit_list(rows, SALT)
    changed, first_changed_sequence = change(rows)
    assert not verify_list(changed, SALT, commitment.commitment).match
    located = verify_list(changed, SALT, commitment.commitment, commitment.receipt())
    assert not located.match
    assert located.first_difference == first_changed_sequence
    assert f"sequence {first_changed_sequence}" in located.message


def test_another_salt_breaks_the_match(rows):
    commitment = commit_list(rows, SALT)
    assert not verify_list(rows, "cd" * 32, commitment.commitment).match


def test_a_missing_row_is_reported(rows):
    commitment = commit_list(rows, SALT)
    result = verify_list(rows[:-1], SALT, commitment.commitment, commitment.receipt())
    assert not result.match
    assert "ends after" in result.message


def test_canonical_form_ignores_line_endings_column_order_and_row_order(rows):
    text = write_allocation_csv(rows)
    commitment = commit_list(parse_allocation_rows(text), SALT).commitment
    crlf = text.replace("\n", "\r\n")
    lines = [line.split(",") for line in text.splitlines()]
    order = [5, 2, 0, 1, 4, 3]  # kit_code, arm, sequence, stratum, block_size, block
    reordered_columns = "\n".join(",".join(line[k] for k in order) for line in lines) + "\n"
    header, *body = text.splitlines()
    reordered_rows = "\n".join([header, *reversed(body)]) + "\n"
    spaced = text.replace(",", " , ")
    for variant in (crlf, reordered_columns, reordered_rows, spaced):
        assert commit_list(parse_allocation_rows(variant), SALT).commitment == commitment


def test_salt_has_256_bits_and_is_fresh_each_time(rows):
    assert len(bytes.fromhex(new_salt())) == 32
    assert commit_list(rows).salt != commit_list(rows).salt
    with pytest.raises(ValueError, match="256 bits"):
        commit_list(rows, "ab" * 8)


def test_without_salt_a_short_list_could_be_recovered_by_trying_every_list():
    # A 20-patient list in blocks of 4 has C(4,2)^5 = 6^5 = 7,776 possible arm sequences: an
    # unsalted hash of it is inverted by enumeration in milliseconds. This is why there is a salt.
    blocks = [seq for seq in itertools.product("AB", repeat=4) if seq.count("A") == 2]
    candidates = [
        "".join(itertools.chain.from_iterable(c)) for c in itertools.product(blocks, repeat=5)
    ]
    assert len(candidates) == 7776
    secret = candidates[4321]
    unsalted = hashlib.sha256(secret.encode()).hexdigest()
    recovered = next(c for c in candidates if hashlib.sha256(c.encode()).hexdigest() == unsalted)
    assert recovered == secret
    salted = hashlib.sha256((new_salt() + secret).encode()).hexdigest()
    assert all(hashlib.sha256(c.encode()).hexdigest() != salted for c in candidates)
