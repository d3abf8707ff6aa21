"""A list made before issue 14 (kit codes 0-9A-Z with a MOD 37,36 check) still reads, commits and
verifies as it did, and is re-derived from its seed byte for byte; a new list uses Crockford base32.

``tests/data/allocation-list-v1/`` was written by trialdesk at commit 1b7b712, before the change
(see ``tests/data/README.md``): the list, its metadata (no kit code scheme recorded), the
commitment with its salt and the receipt, as ``randomization generate`` and ``commit`` write them.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from trialdesk.protocol import load_protocol
from trialdesk.randomization import (
    commit_list,
    generate_allocation_list,
    generate_sequences,
    get_procedure,
    read_allocation_csv,
    verify_list,
    write_allocation_csv,
)
from trialdesk.randomization.csv_io import AllocationImportError, parse_allocation_rows
from trialdesk.randomization.kit_codes import (
    ALPHABET,
    CROCKFORD,
    LEGACY,
    METADATA_KEY,
    scheme_named,
)
from trialdesk.randomization.strata import Factor, all_strata

FACTORS = [Factor("site", ("CO-01", "CO-02")), Factor("ards_severity", ("moderate", "severe"))]


@pytest.fixture
def old_list(test_data: Path) -> dict:
    folder = test_data / "allocation-list-v1"
    return {
        "csv": (folder / "list.csv").read_text(encoding="utf-8"),
        "meta": json.loads((folder / "list.meta.json").read_text(encoding="utf-8")),
        "receipt": json.loads((folder / "receipt.json").read_text(encoding="utf-8")),
        **json.loads((folder / "commitment.json").read_text(encoding="utf-8")),
    }


def _old_codes(old_list: dict) -> list[str]:
    return [row.kit_code for row in parse_allocation_rows(old_list["csv"])]


def test_the_fixture_is_an_old_list(old_list):
    codes = _old_codes(old_list)
    assert METADATA_KEY not in old_list["meta"]
    assert scheme_named(old_list["meta"].get(METADATA_KEY)) is LEGACY
    assert any(set(code) & set("ILOU") for code in codes)  # the look-alikes of the old alphabet


def test_an_old_list_still_verifies_against_its_commitment(old_list):
    rows = parse_allocation_rows(old_list["csv"])
    result = verify_list(rows, old_list["salt"], old_list["commitment"], old_list["receipt"])
    assert result.match, result.message
    row_hashes = commit_list(rows, old_list["salt"]).row_hashes
    assert row_hashes == tuple(old_list["receipt"]["row_hashes"])
    # and a change is still found, and located
    changed = [dataclasses.replace(rows[2], arm="standard") if i == 2 else row
               for i, row in enumerate(rows)]
    result = verify_list(changed, old_list["salt"], old_list["commitment"], old_list["receipt"])
    assert not result.match
    assert result.first_difference == rows[2].sequence


def test_an_old_list_reads_with_its_own_check(old_list):
    rows = parse_allocation_rows(old_list["csv"])
    assert [row.kit_code for row in rows] == _old_codes(old_list)
    assert [row.kit_code for row in parse_allocation_rows(old_list["csv"], LEGACY)] == \
        _old_codes(old_list)
    # a typo in one old code is still reported, by the old rules, on its line
    first = _old_codes(old_list)[0]
    typo = first[:-1] + ("A" if first[-1] != "A" else "B")
    with pytest.raises(AllocationImportError) as error:
        parse_allocation_rows(old_list["csv"].replace(first, typo))
    assert [(e.line, e.column) for e in error.value.errors] == [(2, "kit_code")]
    assert "MOD 37,36" in str(error.value)
    # read by the new rules alone, the old codes are not codes
    with pytest.raises(AllocationImportError):
        parse_allocation_rows(old_list["csv"], CROCKFORD)


def test_an_old_list_imports_and_records_its_scheme(old_list):
    protocol = load_protocol()
    sites = [site.code for site in protocol.sites]
    # the fixture's strata name the bundled protocol's first two sites
    assert sites[:2] == ["CO-01", "CO-02"], "the bundled protocol's sites changed: remake it"
    allocation_list = read_allocation_csv(old_list["csv"], protocol)
    assert allocation_list.metadata()[METADATA_KEY] == LEGACY.name
    verified = verify_list(allocation_list, old_list["salt"], old_list["commitment"])
    assert verified.match


def test_an_old_list_is_re_derived_from_its_seed_byte_for_byte(old_list):
    procedure = get_procedure("permuted-blocks", block_sizes=[2, 4])
    arms, strata, seed = ["msc", "standard"], all_strata(FACTORS), bytes(range(32))
    again = generate_sequences(procedure, arms, strata, seed, 4, scheme_named(None))
    assert write_allocation_csv(again) == old_list["csv"]
    assert commit_list(again, old_list["salt"]).commitment == old_list["commitment"]
    # the same seed today: the same arms, new codes from the new alphabet only
    new = generate_sequences(procedure, arms, strata, seed, 4)
    assert [row.arm for row in new] == [row.arm for row in again]
    assert all(set(row.kit_code.replace("-", "")) <= set(ALPHABET) for row in new)
    assert new.metadata()[METADATA_KEY] == CROCKFORD.name
    assert commit_list(new, old_list["salt"]).commitment != old_list["commitment"]


def test_a_new_list_round_trips_through_csv_and_verifies():
    allocation_list = generate_allocation_list(load_protocol(), b"n" * 32, slots_per_stratum=8)
    text = write_allocation_csv(allocation_list)
    rows = parse_allocation_rows(text)
    assert [row.kit_code for row in rows] == [row.kit_code for row in allocation_list]
    commitment = commit_list(allocation_list)
    assert verify_list(rows, commitment.salt, commitment.commitment).match
    imported = read_allocation_csv(text, load_protocol())
    assert imported.metadata()[METADATA_KEY] == CROCKFORD.name


def test_a_new_list_with_a_typo_names_the_row():
    allocation_list = generate_allocation_list(load_protocol(), b"n" * 32, slots_per_stratum=8)
    text = write_allocation_csv(allocation_list)
    code = allocation_list.rows[4].kit_code
    typo = code[:5] + code[6] + code[5] + code[7:]  # an adjacent transposition
    if typo == code:
        typo = code[:-1] + ("A" if code[-1] != "A" else "B")
    with pytest.raises(AllocationImportError) as error:
        parse_allocation_rows(text.replace(code, typo))
    assert [(e.line, e.column) for e in error.value.errors] == [(6, "kit_code")]
    assert "Crockford" in str(error.value)
