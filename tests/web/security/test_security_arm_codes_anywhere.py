"""An attacker's crawl: every page and GET operation, as every blinded role, looking for arm codes.

The blinding matrix looks for arm labels, descriptions, intervention names and fields named
"arm". Here the finding is anything else that names an arm: its code as a JSON value or a word
("msc", "standard"), its type (EXPERIMENTAL, PLACEBO_COMPARATOR), an arm-specific word (MSC,
placebo, vehicle, CMM), in the body, an HTML comment, a header, a cookie or a
redirect, in English and Spanish; nor the allocation list's salt.
"""

from __future__ import annotations

import re

from arm_crawl import arm_findings, arm_patterns, crawl_paths
from login import signed_in_client
from security_helpers import randomize_both_arms, second_investigator

from trialdesk.web.core.protocol import get_policy
from trialdesk.web.trials.models import AllocationListRecord


def test_no_blinded_role_meets_an_arm_code_or_arm_word_anywhere(trial):
    rows = randomize_both_arms(trial)
    for row in rows:  # dispensed kits and an emergency unblinding leave records everywhere
        trial.api("pharmacist-co-01").post(f"/api/v1/kits/{row['kit']}/dispense", {"lot": "L1"})
    # another investigator of the site unblinds one participant: the crawling ones stay blinded
    colleague = second_investigator(trial)
    unblinded = colleague.post(f"/api/v1/participants/{rows[0]['code']}/unblind",
                               {"reason": "Severe reaction; treatment depends on it"})
    assert unblinded.status_code == 201
    policy = get_policy()
    patterns = arm_patterns()
    # the list's salt (and a dynamic scheme's seed) would let anyone re-derive every arm
    scheme = AllocationListRecord.objects.get()
    patterns += [re.compile(re.escape(secret)) for secret in (scheme.salt, scheme.seed) if secret]
    assert len(patterns) > len(arm_patterns())
    blinded = {name: user for name, user in trial.users.items()
               if not policy.sees_any_arm(user.memberships.get().role)
               and not name.endswith("co-03") and name != "investigator2-co-01"}
    assert {"investigator-co-01", "coordinator-co-01", "data_manager", "analyst", "monitor",
            "admin"} <= set(blinded)
    findings = []
    # the unblinded participant and one of the other arm
    one_per_arm = [rows[0], next(row for row in rows if row["arm"] != rows[0]["arm"])]
    for index, row in enumerate(one_per_arm):
        values = {"code": row["code"], "kit_code": row["kit"], "nct_id": "NCT04390152",
                  "visit": "day1", "form": "infusion"}
        paths = crawl_paths(values)
        assert len(paths) > 20, paths
        for name, user in blinded.items():
            client = signed_in_client(user)
            for language in ("en", "es") if index == 0 else ("en",):
                for path in paths:
                    response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
                    found = arm_findings(response, patterns)
                    if found:
                        findings.append((name, language, path, response.status_code, found))
    assert findings == [], findings[:10]


def test_the_crawl_finds_arm_codes_where_they_are_shown():
    """Guard: the patterns do match what the pharmacist's kit list carries."""
    patterns = arm_patterns()
    body = '{"kit_code": "ABCD-EFGH", "arm": "standard"}<!-- PLACEBO_COMPARATOR -->'
    found = {m.group(0) for p in patterns for m in p.finditer(body)}
    assert found == {"standard", "PLACEBO_COMPARATOR"}
    assert not any(p.search("mortality on standard therapy, substandard MSCs") for p in patterns)
    assert any(p.search('<td class="arm standard">') for p in patterns)
