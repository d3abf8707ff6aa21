"""CSV export and validated import, including REDCap allocation tables."""

from __future__ import annotations

import pytest

from trialdesk.protocol import load_protocol
from trialdesk.randomization import (
    AllocationImportError,
    generate_allocation_list,
    is_valid_kit_code,
    read_allocation_csv,
    write_allocation_csv,
)


@pytest.fixture(scope="module")
def protocol():
    return load_protocol()


@pytest.fixture(scope="module")
def csv_text(protocol) -> str:
    return write_allocation_csv(generate_allocation_list(protocol, b"i" * 32, slots_per_stratum=4))


def _errors(text: str, protocol, **options) -> list[str]:
    with pytest.raises(AllocationImportError) as caught:
        read_allocation_csv(text, protocol, **options)
    return [str(error) for error in caught.value.errors]


def _edit(text: str, line: int, column: str, value: str) -> str:
    lines = text.splitlines()
    header = lines[0].split(",")
    cells = lines[line - 1].split(",")
    cells[header.index(column)] = value
    lines[line - 1] = ",".join(cells)
    return "\n".join(lines) + "\n"


def test_export_then_import_gives_the_same_rows(protocol, csv_text):
    original = generate_allocation_list(protocol, b"i" * 32, slots_per_stratum=4)
    imported = read_allocation_csv(csv_text, protocol)
    assert imported.rows == original.rows


def test_missing_and_unknown_columns_are_named(protocol, csv_text):
    text = csv_text.replace("kit_code", "kit")
    errors = _errors(text, protocol)
    assert "line 1: missing column(s) kit_code" in errors[0]
    assert "unknown column(s) kit" in errors[1]


def test_duplicate_sequence_and_kit_code_name_both_lines(protocol, csv_text):
    lines = csv_text.splitlines()
    duplicate_kit = lines[3].split(",")[-1]
    text = _edit(csv_text, 5, "sequence", "2")
    text = _edit(text, 6, "kit_code", duplicate_kit)
    errors = _errors(text, protocol)
    assert "line 5, column sequence: duplicate sequence number 2 (first on line 3)" in errors
    assert (
        f"line 6, column kit_code: duplicate kit code {duplicate_kit} (first on line 4)" in errors
    )


def test_mistyped_kit_code_is_caught_by_its_check_character(protocol, csv_text):
    code = csv_text.splitlines()[2].split(",")[-1]
    typo = ("0" if code[0] != "0" else "1") + code[1:]
    assert not is_valid_kit_code(typo)
    errors = _errors(_edit(csv_text, 3, "kit_code", typo), protocol)
    assert errors[0].startswith("line 3, column kit_code:")
    assert "check" in errors[0]


def test_unknown_arm_and_stratum_are_named(protocol, csv_text):
    text = _edit(csv_text, 2, "arm", "placebo")
    text = _edit(text, 4, "stratum", "site=XX-99|ards_severity=severe")
    errors = _errors(text, protocol)
    assert errors[0].startswith("line 2, column arm: unknown arm 'placebo'")
    assert errors[1].startswith("line 4, column stratum: site: unknown level 'XX-99'")


def test_an_unbalanced_complete_block_is_named(protocol):
    text = (
        "sequence,stratum,arm,block,block_size,kit_code\n"
        "1,site=CO-01|ards_severity=severe,msc,1,2,{0}\n"
        "2,site=CO-01|ards_severity=severe,msc,1,2,{1}\n"
        "3,site=CO-01|ards_severity=severe,msc,2,2,{2}\n"
        "4,site=CO-01|ards_severity=severe,standard,2,2,{3}\n"
    )
    from trialdesk.randomization import RandomSource
    from trialdesk.randomization.kit_codes import generate_kit_codes

    codes = generate_kit_codes(4, RandomSource(b"q" * 32, "codes"))
    errors = _errors(text.format(*codes), protocol)
    assert errors == [
        "line 3, column arm: block 1 of site=CO-01|ards_severity=severe is unbalanced: "
        "msc 2, standard 0 (expected msc 1, standard 1)"
    ]


def test_an_incomplete_block_that_is_not_the_last_is_named(protocol, csv_text):
    lines = csv_text.splitlines()
    del lines[2]  # the second slot of stratum 1's first block
    errors = _errors("\n".join(lines) + "\n", protocol)
    assert any(error.startswith("line 2, column block: block 1 of site=CO-01") for error in errors)


REDCAP_TABLE = """redcap_randomization_group,redcap_data_access_group,ards_severity
1,CO-01,severe
2,CO-01,severe
standard,co-02,1
msc,CO-02,moderate
"""


def test_redcap_allocation_table_is_imported(protocol):
    allocation_list = read_allocation_csv(REDCAP_TABLE, protocol, kit_code_seed=b"r" * 32)
    assert [(row.sequence, row.stratum, row.arm) for row in allocation_list] == [
        (1, "site=CO-01|ards_severity=severe", "msc"),
        (2, "site=CO-01|ards_severity=severe", "standard"),
        (3, "site=CO-02|ards_severity=moderate", "standard"),
        (4, "site=CO-02|ards_severity=moderate", "msc"),
    ]
    assert all(is_valid_kit_code(row.kit_code) for row in allocation_list)
    assert allocation_list.procedure == "imported-redcap"


def test_redcap_table_with_factor_named_site_and_bad_values(protocol):
    text = "redcap_randomization_group,site,ards_severity\n3,CO-01,severe\n1,CO-09,critical\n"
    errors = _errors(text, protocol, kit_code_seed=b"r" * 32)
    assert errors[0].startswith("line 2, column redcap_randomization_group: unknown value '3'")
    assert errors[1].startswith("line 3, column site: unknown value 'CO-09'")
    assert errors[2].startswith("line 3, column ards_severity: unknown value 'critical'")


def test_redcap_table_needs_every_factor_and_a_seed(protocol):
    text = "redcap_randomization_group,ards_severity\n1,severe\n"
    assert (
        "missing column for stratification factor site"
        in _errors(text, protocol, kit_code_seed=b"r" * 32)[0]
    )
    assert "give a seed" in _errors(REDCAP_TABLE, protocol)[0]


def test_empty_file_and_ragged_rows_are_refused(protocol, csv_text):
    assert _errors("", protocol) == ["line 1: the file is empty"]
    ragged = csv_text.splitlines()
    ragged[3] += ",extra"
    assert _errors("\n".join(ragged), protocol)[0].startswith("line 4: 7 fields")
