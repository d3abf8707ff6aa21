"""Every malformed protocol fails with the file, the dotted path, the line and the rule broken."""

from __future__ import annotations

from pathlib import Path

import pytest

from trialdesk.protocol import ProtocolError, load_protocol

FIXTURES = Path(__file__).parent / "fixtures"


def line_containing(fixture: str, text: str) -> int:
    lines = (FIXTURES / fixture).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def errors_of(fixture: str) -> list:
    with pytest.raises(ProtocolError) as caught:
        load_protocol(FIXTURES / fixture)
    return caught.value.issues


def test_minimal_protocol_is_valid() -> None:
    protocol = load_protocol(FIXTURES / "minimal.toml")
    assert protocol.registry.nct_id == "NCT99999999"


# fixture, expected dotted path, expected rule, text on the expected line, words in the message
MALFORMED = [
    ("bad_toml_syntax.toml", "", "toml-syntax", "target_enrollment =", "TOML syntax error"),
    ("bad_field_type.toml", "forms[0].fields[0].type", "literal_error", '"intger"', "'intger'"),
    ("bad_undefined_arm.toml", "design.allocation_ratio.active", "arm-defined",
     "allocation_ratio", "'active'"),
    ("bad_ratio_mismatch.toml", "design.allocation_ratio", "ratio-matches-arms",
     "allocation_ratio", "'placebo'"),
    ("bad_range.toml", "forms[0].fields[2].range", "value_error", "min = 1.0, max = 0.21",
     "greater than max"),
    ("bad_eligibility_field.toml", "eligibility.inclusion[0].rule", "field-defined",
     "age_years", "age_years"),
    ("bad_duplicate_field.toml", "forms[0].fields[3].code", "unique-field", 'code = "pao2"',
     "more than once"),
    ("bad_visit_form.toml", "visits[0].forms[1]", "form-defined", '"vitals"', "'vitals'"),
    ("bad_date.toml", "registry.start_date", "date_day", "2024-02-30", "not a calendar date"),
    ("bad_unreachable_stratum.toml", "design.randomization.strata[0].levels[0].rule",
     "stratum-reachable", "pao2_fio2 > 300", "can never be reached"),
]


@pytest.mark.parametrize(("fixture", "path", "rule", "line_text", "words"), MALFORMED)
def test_malformed_protocol_names_file_path_line_and_rule(
    fixture: str, path: str, rule: str, line_text: str, words: str
) -> None:
    issues = errors_of(fixture)
    matching = [issue for issue in issues if issue.path == path and issue.rule == rule]
    assert matching, f"no {rule} error at {path!r} in {issues}"
    issue = matching[0]
    assert issue.file.endswith(fixture)
    expected_line = line_containing(fixture, line_text)
    if fixture == "bad_duplicate_field.toml":
        expected_line = max(  # the second field named pao2 is the duplicate
            number
            for number, line in enumerate(
                (FIXTURES / fixture).read_text(encoding="utf-8").splitlines(), 1
            )
            if line_text in line
        )
    assert issue.line == expected_line
    assert words in issue.message
    rendered = str(issue)
    assert f"{fixture}:{expected_line}" in rendered
    assert f"[{rule}]" in rendered


def test_three_semantic_errors_are_reported_together() -> None:
    issues = errors_of("bad_three_errors.toml")
    assert {(issue.path, issue.rule) for issue in issues} == {
        ("design.allocation_ratio.active", "arm-defined"),
        ("visits[0].forms[1]", "form-defined"),
        ("eligibility.inclusion[0].rule", "field-defined"),
    }


def test_three_structural_errors_are_reported_together() -> None:
    issues = errors_of("bad_three_structural_errors.toml")
    assert {(issue.path, issue.rule) for issue in issues} == {
        ("forms[0].fields[0].type", "literal_error"),
        ("registry.start_date", "date_day"),
        ("forms[0].fields[2].range", "value_error"),
    }


def test_error_message_lists_every_issue() -> None:
    with pytest.raises(ProtocolError) as caught:
        load_protocol(FIXTURES / "bad_three_errors.toml")
    text = str(caught.value)
    assert text.startswith("3 errors in the protocol")
    assert text.count("bad_three_errors.toml:") == 3


def test_unknown_key_is_an_error(tmp_path: Path) -> None:
    text = (FIXTURES / "minimal.toml").read_text(encoding="utf-8")
    bad = tmp_path / "typo.toml"
    bad.write_text(text.replace("target_enrollment = 20", "target_enrolment = 20"), "utf-8")
    with pytest.raises(ProtocolError) as caught:
        load_protocol(bad)
    paths = {(issue.path, issue.rule) for issue in caught.value.issues}
    assert ("design.target_enrolment", "extra_forbidden") in paths
    assert ("design.target_enrollment", "missing") in paths


def test_rule_with_bad_syntax_is_reported_at_its_path(tmp_path: Path) -> None:
    text = (FIXTURES / "minimal.toml").read_text(encoding="utf-8")
    bad = tmp_path / "syntax.toml"
    bad.write_text(text.replace('rule = "age >= 18"', 'rule = "age >=> 18"'), "utf-8")
    with pytest.raises(ProtocolError) as caught:
        load_protocol(bad)
    (issue,) = caught.value.issues
    assert issue.path == "eligibility.inclusion[0].rule"
    assert issue.rule == "rule_syntax"


def test_masked_role_that_sees_arms_is_refused(tmp_path: Path) -> None:
    text = (FIXTURES / "minimal.toml").read_text(encoding="utf-8")
    bad = tmp_path / "leaky.toml"
    bad.write_text(text.replace('sees_arm = "never"', 'sees_arm = "all"'), "utf-8")
    with pytest.raises(ProtocolError) as caught:
        load_protocol(bad)
    assert [(issue.path, issue.rule) for issue in caught.value.issues] == [
        ("roles[0].sees_arm", "masked-role-blind")
    ]


def test_missing_file_is_a_protocol_error(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError) as caught:
        load_protocol(tmp_path / "absent.toml")
    assert caught.value.issues[0].rule == "readable"


# fixture, tomllib's words, what was opened and where (1-based line, column): tomllib only says
# "at end of document", so the loader finds the opening itself.
UNCLOSED = [
    ("bad_unclosed_array.toml", "Unclosed array", "array '['", 142, 9),
    ("bad_unclosed_inline_table.toml", "Unclosed inline table", "inline table '{'", 118, 9),
    ("bad_unclosed_string.toml", "Unterminated string", "string '\"\"\"'", 134, 15),
]


@pytest.mark.parametrize(("fixture", "words", "opened", "line", "column"), UNCLOSED)
def test_unclosed_construct_is_reported_where_it_was_opened(
    fixture: str, words: str, opened: str, line: int, column: int
) -> None:
    (issue,) = errors_of(fixture)
    assert (issue.rule, issue.path) == ("toml-syntax", "")
    assert (issue.line, issue.column) == (line, column)
    source_line = (FIXTURES / fixture).read_text(encoding="utf-8").splitlines()[line - 1]
    opener = opened.split("'")[1]
    assert source_line[column - 1 :].startswith(opener)  # the position really is the opener
    assert words in issue.message
    assert f"the {opened} opened at line {line}, column {column} is never closed" in issue.message
    assert "end of document" not in issue.message
    assert str(issue).startswith(f"{issue.file}:{line}:{column}: TOML syntax error")


def test_unclosed_inline_table_followed_by_a_newline_points_at_its_brace(tmp_path: Path) -> None:
    # Here tomllib names the end of the line, not the brace; the brace is what to fix.
    bad = tmp_path / "brace.toml"
    bad.write_text((FIXTURES / "bad_unclosed_inline_table.toml").read_text("utf-8") + "\n", "utf-8")
    with pytest.raises(ProtocolError) as caught:
        load_protocol(bad)
    (issue,) = caught.value.issues
    assert (issue.line, issue.column) == (118, 9)
    assert "Unclosed inline table" in issue.message


def test_unclosed_array_noticed_lines_later_points_at_its_bracket(tmp_path: Path) -> None:
    text = (FIXTURES / "minimal.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bracket.toml"
    bad.write_text(text.replace('forms = ["screening"]', 'forms = [["screening"]'), "utf-8")
    line = line_containing("minimal.toml", 'forms = ["screening"]')
    with pytest.raises(ProtocolError) as caught:
        load_protocol(bad)
    (issue,) = caught.value.issues
    assert (issue.line, issue.column) == (line, 9)
    assert "Unclosed array" in issue.message


def test_other_syntax_errors_keep_tomllib_line_and_column() -> None:
    (issue,) = errors_of("bad_toml_syntax.toml")
    line = line_containing("bad_toml_syntax.toml", "target_enrollment =")
    assert (issue.line, issue.column) == (line, len("target_enrollment = ") + 1)
