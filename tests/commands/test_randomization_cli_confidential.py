"""`trialdesk randomization generate` with block sizes kept in the confidential file beside the
seed (``protocol.confidential``)."""

from __future__ import annotations

import csv
import io
import stat
from pathlib import Path

from click.testing import CliRunner

from trialdesk.cli import main
from trialdesk.protocol import default_protocol_path


def _published(folder: Path) -> Path:
    path = folder / "protocol.toml"
    text = default_protocol_path().read_text(encoding="utf-8")
    path.write_text(text.replace("block_sizes = [2, 4]\n", "confidential = true\n", 1),
                    encoding="utf-8")
    return path


def _generate(folder: Path, protocol: Path):
    return CliRunner().invoke(main, [
        "randomization", "generate", "--protocol", str(protocol),
        "--seed-file", str(folder / "seed"), "--out", str(folder / "list.csv"),
        "--slots-per-stratum", "12"])


def test_generate_reads_the_block_sizes_beside_the_seed_and_keeps_them_private(tmp_path):
    protocol = _published(tmp_path)
    refused = _generate(tmp_path, protocol)  # no confidential file: no default block size
    assert refused.exit_code != 0 and "confidential" in refused.output
    (tmp_path / "randomization.confidential.toml").write_text(
        "[randomization]\nblock_sizes = [6]\n", encoding="utf-8")
    made = _generate(tmp_path, protocol)
    assert made.exit_code == 0, made.output
    rows = list(csv.DictReader(io.StringIO((tmp_path / "list.csv").read_text())))
    assert {row["block_size"] for row in rows} == {"6"}
    # the metadata names the block sizes: as private as the list
    meta = tmp_path / "list.meta.json"
    assert stat.S_IMODE(meta.stat().st_mode) == 0o600
