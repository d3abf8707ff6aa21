"""The analysis core: no Django, and every result renders as text and JSON and names its method."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

from trialdesk.stats.analysis import (
    change_from_baseline,
    rank_comparison,
    survival_analysis,
    two_proportions,
)


def test_the_analysis_core_imports_no_django():
    code = "import sys, trialdesk.stats.analysis; print('django' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_result_renders_text_and_json_and_names_its_method():
    frame = pd.DataFrame(
        {"g": ["group 1"] * 4 + ["group 2"] * 4, "t": [1, 4, 6, 9, 2, 3, 5, 8],
         "e": [1, 0, 1, 1, 1, 1, 0, 1], "b": [1.0, 2, 3, 4, 2, 3, 4, 5],
         "f": [2.0, 4, 5, 7, 2, 4, 4, 6]}
    )
    results = [
        two_proportions(2, 4, 3, 4, label_a="group 1", label_b="group 2"),
        survival_analysis(frame, time="t", event="e", group="g"),
        rank_comparison(frame, value="f", group="g"),
        change_from_baseline(frame, group="g", baseline="b", followup="f"),
    ]
    for result in results:
        text = result.to_text()
        data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
        assert "group 1" in text and "group 2" in text
        assert data["method"] == result.method
        assert data["comparison"] == "group 1 vs group 2"
        assert result.effects() and all("method" in e for e in result.effects())
