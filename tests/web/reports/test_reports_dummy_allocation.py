"""The report's groups by reader: the dummy allocation for blinded readers until the final
unblinding (said on the page, in every by-group section and in the download), the arms for the
DSMB; pooled figures on the real data for everyone."""

from __future__ import annotations

import html
import re

import pandas as pd
from login import signed_in_client
from reports_testkit import build_trial, generated

from trialdesk.stats.analysis import two_proportions_from_frame
from trialdesk.stats.analysis.intervals import wilson
from trialdesk.web.reports.sections import interval, num
from trialdesk.web.trials.analysis_groups import coded_group_labels, dummy_arm_by_participant
from trialdesk.web.trials.models import Randomization

NOTICE = "Dummy allocation: these groups are not the trial's."


def _section(body: str, key: str) -> str:
    match = re.search(rf'<section id="{key}">(.*?)</section>', body, re.S)
    assert match, f"no section {key}"
    return match.group(1)


def _rows(section: str) -> list[list[str]]:
    return [[html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", section, re.S) if "<td>" in row]


def test_blinded_readers_get_the_dummy_groups_said_everywhere_and_pooled_real_figures(trial):
    built = build_trial(trial)
    real = dict(Randomization.objects.values_list("participant__code", "slot__arm"))
    dummy = dummy_arm_by_participant()
    assert set(dummy) == set(real) and set(dummy.values()) == set(real.values())
    assert dummy != real  # (14 participants: the same grouping by chance has p < 0.001)
    labels = coded_group_labels()
    people = pd.DataFrame([{"group": labels[dummy[code]], "dead": entered["dead"]}
                           for code, entered in built.entered.items()])
    mortality = two_proportions_from_frame(people, group="group", event="dead",
                                           groups=("group 1", "group 2"))
    for reader in ("analyst", "data_manager"):
        client = signed_in_client(trial.users[reader])
        for body in (generated(client).content.decode(),
                     client.get("/reports/download/").content.decode()):
            assert body.count(NOTICE) >= 8, reader  # the top and every by-group section
            for key in ("mortality", "survival", "vfd", "adverse_events"):
                assert NOTICE in _section(body, key), (reader, key)
            assert NOTICE not in _section(body, "pooled")
            # by group: computed on the dummy allocation
            rows = _rows(_section(body, "mortality"))
            assert rows[0][:3] == ["group 1", str(mortality.a.events), str(mortality.a.n)]
            assert rows[1][:3] == ["group 2", str(mortality.b.events), str(mortality.b.n)]
            # pooled: the trial's own figures, the same for every reader
            known = [e["dead"] for e in built.entered.values() if e["dead"] is not None]
            ci = wilson(sum(known), len(known))
            pooled = {row[0]: row[1:] for row in _rows(_section(body, "pooled"))}
            assert pooled["Randomized"][0] == str(len(real))
            assert pooled["Dead by day 28"] == [
                f"{sum(known)} / {len(known)} ({num(sum(known) / len(known), 3)})",
                interval(ci.lower, ci.upper, 3)]
    # the DSMB statistician reads the arms, with no dummy notice
    dsmb = generated(signed_in_client(trial.users["dsmb_statistician"])).content.decode()
    assert NOTICE not in dsmb and "Dummy allocation" not in dsmb
