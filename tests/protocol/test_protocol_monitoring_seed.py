"""The source data verification plan's seed is secret (issue 16): a site that knew it could tell
which of its forms a monitor will verify. The published protocol file never holds it; the
confidential file beside the allocation seed may give it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from trialdesk.cli import main
from trialdesk.protocol import ProtocolError, default_protocol_path, load_protocol
from trialdesk.protocol.confidential import CONFIDENTIAL_FILE

SEED = "a-confidential-seed-of-the-sdv-plan-7f3a"
PLAN_HEADER = "[monitoring]\n"


def _confidential(folder: Path, body: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / CONFIDENTIAL_FILE
    path.write_text(body, encoding="utf-8")
    return path


def test_the_published_protocol_holds_no_seed_of_the_plan():
    text = default_protocol_path().read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert "monitoring" in data and "seed" not in data["monitoring"]
    assert load_protocol().monitoring.seed is None


def test_a_protocol_file_writing_the_seed_is_refused_at_its_line(tmp_path):
    text = default_protocol_path().read_text(encoding="utf-8")
    path = tmp_path / "protocol.toml"
    path.write_text(text.replace(PLAN_HEADER, PLAN_HEADER + f'seed = "{SEED}"\n'),
                    encoding="utf-8")
    with pytest.raises(ProtocolError) as error:
        load_protocol(path)
    [issue] = error.value.issues
    assert (issue.path, issue.rule) == ("monitoring.seed", "confidential-in-file")
    assert text.splitlines()[issue.line - 2] == PLAN_HEADER.strip()  # the line after the header
    assert CONFIDENTIAL_FILE in issue.message


def test_the_confidential_file_gives_the_seed_with_or_without_block_sizes(tmp_path):
    only_seed = _confidential(tmp_path / "a", f'[monitoring]\nseed = "{SEED}"\n')
    assert load_protocol(None, confidential=only_seed).monitoring.seed == SEED
    both = _confidential(tmp_path / "b", "[randomization]\nblock_sizes = [2, 4]\n"
                                          f'[monitoring]\nseed = "{SEED}"\n')
    protocol = load_protocol(None, confidential=both)
    assert protocol.monitoring.seed == SEED
    assert protocol.design.randomization.block_sizes == [2, 4]


def test_the_confidential_monitoring_table_is_checked(tmp_path):
    unknown = _confidential(tmp_path / "a", '[monitoring]\nshare = 0.9\n')
    with pytest.raises(ProtocolError, match="unknown key 'share'"):
        load_protocol(None, confidential=unknown)
    short = _confidential(tmp_path / "b", '# secret\n[monitoring]\nseed = "short"\n')
    with pytest.raises(ProtocolError) as error:
        load_protocol(None, confidential=short)
    [issue] = error.value.issues
    assert (issue.path, issue.file, issue.line) == ("monitoring.seed", str(short), 3)
    empty = _confidential(tmp_path / "c", "# nothing\n")
    with pytest.raises(ProtocolError, match="required"):
        load_protocol(None, confidential=empty)


@pytest.mark.parametrize("language", ["en", "es"])
def test_protocol_show_never_prints_the_seed(tmp_path, language):
    secret = _confidential(tmp_path, f'[monitoring]\nseed = "{SEED}"\n')
    shown = CliRunner().invoke(main, ["protocol", "show", "--confidential", str(secret),
                                      "--language", language])
    assert shown.exit_code == 0, shown.output
    assert SEED not in shown.output
    checked = CliRunner().invoke(main, ["protocol", "check", "--confidential", str(secret)])
    assert checked.exit_code == 0 and SEED not in checked.output


@pytest.mark.parametrize(("language", "expected"), [
    ("en", ["Source data verification (monitoring plan):", "each participant's consent",
            "primary outcome forms: adverse_event, end_of_study",
            "deaths: end_of_study.vital_status_day28 = dead",
            "Sampled: 20% of the other records, drawn per form entry",
            "Risk-based: 50% at a site raising at least 0.5 queries per entered form",
            "Monitoring visits: every 56 days per site"]),
    ("es", ["Verificación de datos fuente (plan de monitoreo):",
            "el consentimiento de cada participante",
            "formularios del desenlace primario: adverse_event, end_of_study",
            "Muestra: 20 % de los demás registros, sorteada por formulario ingresado",
            "Según el riesgo: 50 % en un centro con al menos 0,5 consultas",
            "Visitas de monitoreo: cada 56 días por centro"]),
])
def test_protocol_show_prints_the_monitoring_plan(language, expected):
    shown = CliRunner().invoke(main, ["protocol", "show", "--language", language])
    assert shown.exit_code == 0, shown.output
    for line in expected:
        assert line in shown.output, line
