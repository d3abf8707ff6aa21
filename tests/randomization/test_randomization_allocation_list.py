"""Allocation lists: golden output, size, strata, determinism and provenance."""

from __future__ import annotations

import hashlib
from collections import Counter

import numpy as np
import pytest

from trialdesk.protocol import load_protocol
from trialdesk.randomization import (
    ProcedureError,
    generate_allocation_list,
    generate_sequences,
    get_procedure,
    seed_commitment,
    stratum_for,
    write_allocation_csv,
)
from trialdesk.randomization.kit_codes import CROCKFORD, LEGACY
from trialdesk.randomization.strata import Factor, StratumError, all_strata, parse_stratum_key

GOLDEN_SEED = bytes(range(32))
FACTORS = [Factor("site", ("CO-01", "CO-02")), Factor("ards_severity", ("moderate", "severe"))]


def _golden(name: str, scheme=CROCKFORD, **parameters) -> str:
    allocation_list = generate_sequences(
        get_procedure(name, **parameters),
        ["msc", "standard"],
        all_strata(FACTORS),
        GOLDEN_SEED,
        12,
        scheme,
    )
    return hashlib.sha256(write_allocation_csv(allocation_list).encode()).hexdigest()


# The hashes pin the output of procedure version 1 with derivation trialdesk-rng-v1 (PCG64) and
# the kit codes of before issue 14 (kit code scheme iso7064-mod37-36): they are the hashes pinned
# before that change, unchanged, so a list made then is still re-derived byte for byte from its
# seed. If one changes, the procedure's `version` must change too: old lists must stay
# re-derivable.
@pytest.mark.parametrize(
    ("name", "parameters", "expected"),
    [
        (
            "permuted-blocks",
            {"block_sizes": [2, 4]},
            "80d97e697a121a01d9aa8b0929f862b8d9e747a5b3ada3c11bae0ac3c21ecf5f",
        ),
        ("complete", {}, "d6c637c705a53be48cad00343da66a507e4583e335d3c6569bda368af667a54b"),
        ("efron", {"p": 2 / 3}, "88dd38223197411e03b8bef4bf7b9c707d8839e576f5b2159051abe3887280fe"),
        (
            "big-stick",
            {"bound": 2},
            "a444a449da3ffe66af9a037d09ec430d2cc75452a771e5520b6e057fc46fd92f",
        ),
        (
            "maximal",
            {"bound": 2},
            "d6b8fb928e22bb4a6e135f61ae37c158b52d3d4c76217ec6b47a31dffa90cf65",
        ),
    ],
)
def test_fixed_seed_gives_fixed_list_with_the_old_kit_codes(name, parameters, expected):
    assert _golden(name, LEGACY, **parameters) == expected


# The same lists with the kit codes of issue 14 (Crockford base32): only the kit code column
# differs from the hashes above.
@pytest.mark.parametrize(
    ("name", "parameters", "expected"),
    [
        (
            "permuted-blocks",
            {"block_sizes": [2, 4]},
            "ab7b8735c9852b35c320b3bb3c7882330a5d778dc6bde27de3f15fa530c312d1",
        ),
        ("complete", {}, "61d63171c12a2be31cb9662a8ee20f99c2adbe5ea1367fe9238197bd7bd43ddd"),
        ("efron", {"p": 2 / 3}, "303752139e648e3624e8407284afb6276c2cc93a1215f91728ce32dab40d5e2e"),
        (
            "big-stick",
            {"bound": 2},
            "d1e83d65baa684ca52288edab4a53f6004b3b3f0abcd94b43b87b2d02af4b1a3",
        ),
        (
            "maximal",
            {"bound": 2},
            "822a270ee29119d075cd85070a1d9ba9abd50c54e19e6d0c12338f3d51d076fe",
        ),
    ],
)
def test_fixed_seed_gives_fixed_list(name, parameters, expected):
    assert _golden(name, **parameters) == expected


def _golden_start(*scheme) -> list[str]:
    allocation_list = generate_sequences(
        get_procedure("permuted-blocks", block_sizes=[2, 4]),
        ["msc", "standard"],
        all_strata(FACTORS),
        GOLDEN_SEED,
        12,
        *scheme,
    )
    return write_allocation_csv(allocation_list).splitlines()[:4]


def test_golden_list_starts_as_recorded():
    assert _golden_start() == [
        "sequence,stratum,arm,block,block_size,kit_code",
        "1,site=CO-01|ards_severity=moderate,msc,1,4,Z7DQ-KC5V",
        "2,site=CO-01|ards_severity=moderate,standard,1,4,664J-JNAW",
        "3,site=CO-01|ards_severity=moderate,msc,1,4,HGC7-6V5R",
    ]
    # before issue 14: the same arms, kit codes with O, I and U
    assert _golden_start(LEGACY) == [
        "sequence,stratum,arm,block,block_size,kit_code",
        "1,site=CO-01|ards_severity=moderate,msc,1,4,BFPN-JOXN",
        "2,site=CO-01|ards_severity=moderate,standard,1,4,AQOA-QDUV",
        "3,site=CO-01|ards_severity=moderate,msc,1,4,9OCR-IZPZ",
    ]


def test_bundled_protocol_list_covers_every_stratum_with_the_target_enrollment():
    protocol = load_protocol()
    allocation_list = generate_allocation_list(protocol, GOLDEN_SEED)
    n_sites = len(protocol.sites)
    assert len(allocation_list.strata) == n_sites * 2
    for stratum in allocation_list.strata:
        rows = allocation_list.for_stratum(stratum)
        # Enough for every participant to fall in one stratum, ending on a complete block.
        assert len(rows) >= protocol.design.target_enrollment
        assert len(rows) < protocol.design.target_enrollment + max(
            protocol.design.randomization.block_sizes
        )
        counts = Counter(row.arm for row in rows)
        assert counts["msc"] == counts["standard"]
    assert [row.sequence for row in allocation_list] == list(range(1, len(allocation_list) + 1))
    assert len({row.kit_code for row in allocation_list}) == len(allocation_list)


def test_list_records_its_provenance():
    allocation_list = generate_allocation_list(load_protocol(), GOLDEN_SEED, slots_per_stratum=4)
    metadata = allocation_list.metadata()
    assert metadata["procedure"] == "permuted-blocks"
    assert metadata["procedure_version"] == "1"
    assert metadata["parameters"]["block_sizes"] == [2, 4]
    assert metadata["numpy_version"] == np.__version__
    assert metadata["bit_generator"] == "PCG64"
    assert (
        metadata["seed_commitment"]
        == hashlib.sha256(b"trialdesk-seed-v1\x00" + GOLDEN_SEED).hexdigest()
    )
    assert metadata["seed_commitment"] == seed_commitment(GOLDEN_SEED)
    # which alphabet and check made the kit codes, so the list can be re-derived and its codes
    # read by the right rules
    assert metadata["kit_code_scheme"] == "crockford32-gf32"


def test_same_seed_same_list_and_other_seed_other_list():
    protocol = load_protocol()
    first = generate_allocation_list(protocol, GOLDEN_SEED)
    again = generate_allocation_list(protocol, GOLDEN_SEED)
    other = generate_allocation_list(protocol, bytes(32))
    assert first == again
    assert [row.arm for row in first] != [row.arm for row in other]


def test_strata_are_independent_streams():
    # Adding a site must not change the lists of the existing sites.
    procedure = get_procedure("permuted-blocks", block_sizes=[4])
    two = generate_sequences(procedure, ["a", "b"], ["site=1", "site=2"], GOLDEN_SEED, 8)
    three = generate_sequences(
        procedure, ["a", "b"], ["site=1", "site=2", "site=3"], GOLDEN_SEED, 8
    )
    for stratum in ("site=1", "site=2"):
        assert [r.arm for r in two.for_stratum(stratum)] == [
            r.arm for r in three.for_stratum(stratum)
        ]


def test_minimization_has_no_list_made_in_advance():
    protocol = load_protocol()
    randomization = protocol.design.randomization.model_copy(update={"method": "minimization"})
    design = protocol.design.model_copy(update={"randomization": randomization})
    with pytest.raises(ProcedureError, match="at randomization time"):
        generate_allocation_list(protocol.model_copy(update={"design": design}), GOLDEN_SEED)


def test_stratum_keys_are_canonical_and_checked():
    assert stratum_for(FACTORS, {"ards_severity": "severe", "site": "CO-02"}) == (
        "site=CO-02|ards_severity=severe"
    )
    assert parse_stratum_key(FACTORS, "site=CO-01|ards_severity=moderate") == ("CO-01", "moderate")
    with pytest.raises(StratumError, match="unknown level 'mild'"):
        stratum_for(FACTORS, {"site": "CO-01", "ards_severity": "mild"})
    with pytest.raises(StratumError, match="must read site=<level>"):
        parse_stratum_key(FACTORS, "ards_severity=severe|site=CO-01")
    assert all_strata([]) == ["all"]


def test_next_free_slot_skips_used_sequences():
    allocation_list = generate_allocation_list(load_protocol(), GOLDEN_SEED, slots_per_stratum=4)
    stratum = allocation_list.strata[1]
    rows = allocation_list.for_stratum(stratum)
    assert allocation_list.next_free(stratum, set()) == rows[0]
    assert allocation_list.next_free(stratum, {rows[0].sequence, rows[1].sequence}) == rows[2]
    assert allocation_list.next_free(stratum, {row.sequence for row in rows}) is None


def test_seed_file_is_created_private_and_read_back(tmp_path):
    from trialdesk.randomization import read_or_create_seed

    path = tmp_path / "seed"
    seed, created = read_or_create_seed(path)
    assert created
    assert len(seed) == 32
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert read_or_create_seed(path) == (seed, False)
    (tmp_path / "short").write_text("abcd\n")
    (tmp_path / "short").chmod(0o600)
    with pytest.raises(ValueError, match="at least 128 bits"):
        read_or_create_seed(tmp_path / "short")
