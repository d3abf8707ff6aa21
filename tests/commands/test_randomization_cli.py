"""`trialdesk randomization ...` through click's test runner."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from trialdesk.cli import main


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _generate(runner: CliRunner, folder: Path, *extra: str):
    return runner.invoke(
        main,
        [
            "randomization",
            "generate",
            "--seed-file",
            str(folder / "seed"),
            "--out",
            str(folder / "list.csv"),
            *extra,
        ],
    )


def test_generate_creates_a_private_seed_and_is_reproducible(runner, tmp_path):
    first = _generate(runner, tmp_path, "--slots-per-stratum", "8")
    assert first.exit_code == 0, first.output
    seed_file = tmp_path / "seed"
    assert stat.S_IMODE(seed_file.stat().st_mode) == 0o600
    assert len(bytes.fromhex(seed_file.read_text().strip())) == 32
    text = (tmp_path / "list.csv").read_text()
    assert text.startswith("sequence,stratum,arm,block,block_size,kit_code\n")
    metadata = json.loads((tmp_path / "list.meta.json").read_text())
    assert metadata["procedure"] == "permuted-blocks"
    refused = _generate(runner, tmp_path, "--slots-per-stratum", "8")
    assert refused.exit_code == 2
    assert "--force" in refused.output
    second = _generate(runner, tmp_path, "--slots-per-stratum", "8", "--force", "--json")
    assert second.exit_code == 0
    assert (tmp_path / "list.csv").read_text() == text
    assert json.loads(second.stdout)["seed_commitment"] == metadata["seed_commitment"]


def test_the_seed_cannot_be_given_on_the_command_line(runner, tmp_path):
    result = runner.invoke(
        main, ["randomization", "generate", "--seed", "abcd", "--out", str(tmp_path / "l.csv")]
    )
    assert result.exit_code == 2
    assert "No such option '--seed'" in result.output


def test_commit_then_verify_matches_and_tampering_names_the_row(runner, tmp_path):
    assert _generate(runner, tmp_path, "--slots-per-stratum", "4").exit_code == 0
    listing = tmp_path / "list.csv"
    receipt = tmp_path / "receipt.json"
    committed = runner.invoke(
        main, ["randomization", "commit", str(listing), "--receipt", str(receipt), "--json"]
    )
    assert committed.exit_code == 0, committed.output
    data = json.loads(committed.stdout)
    assert len(data["salt"]) == 64
    verify = [
        "randomization",
        "verify",
        str(listing),
        "--salt",
        data["salt"],
        "--commitment",
        data["commitment"],
    ]
    ok = runner.invoke(main, verify)
    assert ok.exit_code == 0
    assert ok.stdout.startswith("MATCH")
    lines = listing.read_text().splitlines()
    cells = lines[3].split(",")
    cells[2] = "msc" if cells[2] == "standard" else "standard"
    lines[3] = ",".join(cells)
    listing.write_text("\r\n".join(lines) + "\r\n")
    bad = runner.invoke(main, [*verify, "--receipt", str(receipt), "--json"])
    assert bad.exit_code == 1
    assert json.loads(bad.stdout) == {
        "match": False,
        "first_difference": 3,
        "message": "the first row that differs is sequence 3 (row 3 in sequence order)",
    }


def test_a_list_committed_before_issue_14_still_verifies(runner, test_data, tmp_path):
    # its kit codes are 0-9A-Z with the MOD 37,36 check (tests/data/allocation-list-v1/)
    folder = test_data / "allocation-list-v1"
    committed = json.loads((folder / "commitment.json").read_text())
    verify = ["randomization", "verify", str(folder / "list.csv"), "--salt", committed["salt"],
              "--commitment", committed["commitment"], "--receipt", str(folder / "receipt.json")]
    ok = runner.invoke(main, verify)
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.startswith("MATCH")
    again = runner.invoke(main, ["randomization", "commit", str(folder / "list.csv"),
                                 "--salt", committed["salt"], "--json"])
    assert json.loads(again.stdout)["commitment"] == committed["commitment"]
    tampered = tmp_path / "list.csv"
    tampered.write_text((folder / "list.csv").read_text().replace(",msc,", ",standard,", 1))
    bad = runner.invoke(main, [*verify[:2], str(tampered), *verify[3:]])
    assert bad.exit_code == 1
    assert "sequence 1" in bad.stdout


def test_generated_kit_codes_use_crockford_base32(runner, tmp_path):
    assert _generate(runner, tmp_path, "--slots-per-stratum", "40").exit_code == 0
    codes = [line.rsplit(",", 1)[1] for line in
             (tmp_path / "list.csv").read_text().splitlines()[1:]]
    assert set("".join(codes).replace("-", "")) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    metadata = json.loads((tmp_path / "list.meta.json").read_text())
    assert metadata["kit_code_scheme"] == "crockford32-gf32"


def test_verify_rejects_a_short_salt_with_exit_2(runner, tmp_path):
    assert _generate(runner, tmp_path, "--slots-per-stratum", "2").exit_code == 0
    result = runner.invoke(
        main,
        [
            "randomization",
            "verify",
            str(tmp_path / "list.csv"),
            "--salt",
            "abcd",
            "--commitment",
            "00" * 32,
        ],
    )
    assert result.exit_code == 2
    assert "--salt" in result.output
    assert "256 bits" in result.output


def test_import_validates_a_redcap_table(runner, tmp_path):
    table = tmp_path / "redcap.csv"
    table.write_text(
        "redcap_randomization_group,redcap_data_access_group,ards_severity\n"
        "1,CO-01,severe\n2,CO-01,severe\n2,CO-02,moderate\n1,CO-02,moderate\n"
    )
    out = tmp_path / "imported.csv"
    result = runner.invoke(
        main,
        [
            "randomization",
            "import",
            str(table),
            "--seed-file",
            str(tmp_path / "seed"),
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"rows": 4, "source": "imported-redcap", "valid": True}
    assert out.read_text().splitlines()[1].startswith("1,site=CO-01|ards_severity=severe,msc,,,")
    table.write_text(
        "redcap_randomization_group,redcap_data_access_group,ards_severity\n9,CO-01,x\n"
    )
    bad = runner.invoke(
        main, ["randomization", "import", str(table), "--seed-file", str(tmp_path / "seed")]
    )
    assert bad.exit_code == 2
    assert "line 2, column redcap_randomization_group: unknown value '9'" in bad.output


def test_assess_json_exact(runner):
    result = runner.invoke(
        main,
        [
            "randomization",
            "assess",
            "--procedure",
            "permuted-blocks",
            "--block-sizes",
            "4",
            "--n",
            "40",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["method"] == "exact"
    assert data["correct_guess_proportion"] == pytest.approx(17 / 24, abs=1e-12)
    assert {"expected_final_imbalance", "expected_max_imbalance"} <= set(data)


@pytest.mark.parametrize(("arguments", "heading"), [
    (["--procedure", "permuted-blocks", "--block-sizes", "2,4", "--n", "12"],
     "permuted-blocks (block sizes 2, 4; ratio 1:1), n = 12, exact"),
    (["--procedure", "big-stick", "--bound", "3", "--ratio", "2:1", "--n", "9",
      "--method", "monte-carlo", "--sims", "200", "--seed", "1"],
     "big-stick (bound 3; ratio 2:1), n = 9, Monte Carlo, 200 sequences"),
])
def test_assess_heading_says_the_procedure_in_words(runner, arguments, heading):
    """Not its self-description for files, permuted-blocks$1$block_sizes=[2, 4],... (issue 19)."""
    result = runner.invoke(main, ["randomization", "assess", *arguments])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == heading
    assert "$" not in result.stdout and "[" not in result.stdout


def test_assess_monte_carlo_reports_standard_errors(runner):
    result = runner.invoke(
        main,
        [
            "randomization",
            "assess",
            "--procedure",
            "efron",
            "--p",
            "0.667",
            "--n",
            "40",
            "--sims",
            "5000",
            "--method",
            "monte-carlo",
            "--seed",
            "1",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["method"] == "monte_carlo"
    assert data["standard_errors"]["correct_guess_proportion"] > 0
    assert 0.55 < data["correct_guess_proportion"] < 0.68


def test_assess_minimization_with_a_covariate_distribution(runner):
    result = runner.invoke(
        main,
        [
            "randomization",
            "assess",
            "--procedure",
            "minimization",
            "--p",
            "0.8",
            "--covariates",
            "0.2,0.8;2",
            "--n",
            "30",
            "--sims",
            "2000",
            "--seed",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].endswith(", n = 30, Monte Carlo, 2000 sequences")
    assert "correct guesses (convergence)" in result.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--procedure", "urn"], "unknown procedure 'urn'"),
        (["--procedure", "efron", "--bound", "3"], "--bound does not apply to --procedure efron"),
        (["--procedure", "permuted-blocks", "--block-sizes", "3"], "positive multiple of 2"),
        (["--procedure", "minimization", "--p", "1"], "ICH E9"),
        (["--procedure", "permuted-blocks", "--block-sizes", "four"], "--block-sizes"),
        (["--procedure", "minimization", "--covariates", "x"], "--covariates"),
    ],
)
def test_assess_bad_input_exits_2_naming_the_rule(runner, arguments, message):
    result = runner.invoke(main, ["randomization", "assess", *arguments])
    assert result.exit_code == 2
    assert message in result.output


def _minimization_protocol(tmp_path: Path) -> Path:
    from trialdesk.protocol import default_protocol_path

    text = default_protocol_path().read_text(encoding="utf-8")
    assert 'method = "permuted-blocks"\nblock_sizes = [2, 4]' in text
    text = text.replace(
        'method = "permuted-blocks"\nblock_sizes = [2, 4]',
        'method = "minimization"\nparameters = { p = 0.8 }',
    )
    path = tmp_path / "minimization.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimization_commitment_and_replay_after_the_seed_is_revealed(runner, tmp_path):
    from trialdesk.protocol import load_protocol
    from trialdesk.randomization import DynamicAllocator, PriorAllocation

    protocol_path = _minimization_protocol(tmp_path)
    seed_file = tmp_path / "seed"
    committed = runner.invoke(
        main,
        [
            "randomization",
            "commit-seed",
            "--protocol",
            str(protocol_path),
            "--seed-file",
            str(seed_file),
            "--json",
        ],
    )
    assert committed.exit_code == 0, committed.output
    published = json.loads(committed.stdout)
    assert published["procedure"] == "minimization"
    no_list = runner.invoke(
        main,
        [
            "randomization",
            "generate",
            "--protocol",
            str(protocol_path),
            "--seed-file",
            str(seed_file),
            "--out",
            str(tmp_path / "list.csv"),
        ],
    )
    assert no_list.exit_code == 2
    assert "commit-seed" in no_list.output
    # The trial runs: the server allocates with the same seed and protocol.
    protocol = load_protocol(protocol_path)
    allocator = DynamicAllocator.from_protocol(protocol, bytes.fromhex(seed_file.read_text()))
    assert allocator.commitment == published["commitment"]
    history, head = [], allocator.commitment
    sites = [site.code for site in protocol.sites]
    for index in range(12):
        levels = {
            "site": sites[index % len(sites)],
            "ards_severity": ("moderate", "severe")[index % 2],
        }
        step = allocator.next(history, levels, head)
        history.append(PriorAllocation(step.arm, levels))
        head = step.head
    table = tmp_path / "allocations.csv"
    table.write_text(
        "arm,site,ards_severity\n"
        + "".join(f"{h.arm},{h.levels['site']},{h.levels['ards_severity']}\n" for h in history)
    )
    replay = [
        "randomization",
        "replay",
        str(table),
        "--protocol",
        str(protocol_path),
        "--seed-file",
        str(seed_file),
        "--head",
        head,
        "--json",
    ]
    ok = runner.invoke(main, replay)
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["ok"] is True
    lines = table.read_text().splitlines()
    arm, rest = lines[5].split(",", 1)
    lines[5] = ("standard" if arm == "msc" else "msc") + "," + rest
    table.write_text("\n".join(lines) + "\n")
    bad = runner.invoke(main, replay)
    assert bad.exit_code == 1
    assert json.loads(bad.stdout)["first_mismatch"] == 4


def test_world_readable_seed_file_is_warned_about(runner, tmp_path):
    seed_file = tmp_path / "seed"
    seed_file.write_text("ab" * 32 + "\n")
    seed_file.chmod(0o644)
    result = runner.invoke(main, ["randomization", "commit-seed", "--seed-file", str(seed_file)])
    assert result.exit_code == 0
    assert "can be read by other users" in result.stderr
