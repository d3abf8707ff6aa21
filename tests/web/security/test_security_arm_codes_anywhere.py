"""An attacker's crawl: every page and GET operation, as every blinded role, looking for arm codes.

The blinding matrix looks for arm labels, descriptions, intervention names and fields named
"arm". Here the finding is anything else that names an arm: its code as a JSON value or a word
("msc", "standard"), its type (EXPERIMENTAL, PLACEBO_COMPARATOR), an arm-specific word (MSC,
placebo, vehicle, CMM), in the body, an HTML comment, a header, a cookie or a
redirect, in English and Spanish; nor the allocation list's salt.
"""

from __future__ import annotations

import json
import re

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from login import signed_in_client
from security_helpers import randomize_both_arms, second_investigator

from trialdesk.web.core.protocol import get_policy, get_protocol
from trialdesk.web.trials.models import AllocationListRecord

_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\{(\w+)\}|\(\?P<(\w+)>[^)]*\)")
# The public registry lists the arms by law; it is checked for allocations elsewhere.
PUBLIC = ("/registry", "/static/", "/i18n/")


def _arm_patterns() -> list[re.Pattern]:
    protocol = get_protocol()
    # An arm code such as "standard" is also an English word ("standard error"): it counts when
    # quoted, as a JSON value, an HTML attribute (class, data-, value) or a Python repr is.
    patterns = [re.compile(rf"(?<=[\"']){re.escape(arm.code)}(?=[\"' ])|"
                           rf"(?<=[\"' ]){re.escape(arm.code)}(?=[\"'])")
                for arm in protocol.design.arms]
    words = {arm.type for arm in protocol.design.arms}
    words |= {"MSC", "CMM", "placebo", "vehicle", "vehículo"}
    patterns += [re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])", re.IGNORECASE)
                 for word in words]
    return patterns


def _routes(patterns=None, prefix=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _fill(route: str, values: dict[str, str]) -> str:
    route = route.replace("^", "").replace("\\Z", "").replace("$", "").replace("[/]", "/")
    def one(match: re.Match) -> str:
        name = next(g for g in match.groups() if g)
        return values.get(name, "1")
    return "/" + _PARAM.sub(one, route.replace("\\.", ".")).lstrip("/")


def _paths(values: dict[str, str]) -> list[str]:
    paths = {_fill(route, values) for route in _routes() if "openapi" not in route}
    schema = json.loads(Client().get("/api/v1/openapi.json").content)
    for path, methods in schema["paths"].items():
        if "get" in methods:
            paths.add(_fill(path, values))
    return sorted(p for p in paths if not p.startswith(PUBLIC))


def _findings(response, patterns) -> list[str]:
    texts = [response.content.decode("utf-8", errors="replace")]
    texts += [f"{k}: {v}" for k, v in response.headers.items()]
    texts += [f"{c.key}={c.value}" for c in response.cookies.values()]
    return sorted({m.group(0) for text in texts for p in patterns for m in p.finditer(text)})


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
    patterns = _arm_patterns()
    # the list's salt (and a dynamic scheme's seed) would let anyone re-derive every arm
    scheme = AllocationListRecord.objects.get()
    patterns += [re.compile(re.escape(secret)) for secret in (scheme.salt, scheme.seed) if secret]
    assert len(patterns) > len(_arm_patterns())
    blinded = {name: user for name, user in trial.users.items()
               if not policy.sees_any_arm(user.membership.role)
               and not name.endswith("co-03") and name != "investigator2-co-01"}
    assert {"investigator-co-01", "coordinator-co-01", "data_manager", "analyst", "monitor",
            "admin"} <= set(blinded)
    findings = []
    # the unblinded participant and one of the other arm
    one_per_arm = [rows[0], next(row for row in rows if row["arm"] != rows[0]["arm"])]
    for index, row in enumerate(one_per_arm):
        values = {"code": row["code"], "kit_code": row["kit"], "nct_id": "NCT04390152",
                  "visit": "day1", "form": "infusion"}
        paths = _paths(values)
        assert len(paths) > 20, paths
        for name, user in blinded.items():
            client = signed_in_client(user)
            for language in ("en", "es") if index == 0 else ("en",):
                for path in paths:
                    response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
                    found = _findings(response, patterns)
                    if found:
                        findings.append((name, language, path, response.status_code, found))
    assert findings == [], findings[:10]


def test_the_crawl_finds_arm_codes_where_they_are_shown():
    """Guard: the patterns do match what the pharmacist's kit list carries."""
    patterns = _arm_patterns()
    body = '{"kit_code": "ABCD-EFGH", "arm": "standard"}<!-- PLACEBO_COMPARATOR -->'
    found = {m.group(0) for p in patterns for m in p.finditer(body)}
    assert found == {"standard", "PLACEBO_COMPARATOR"}
    assert not any(p.search("mortality on standard therapy, substandard MSCs") for p in patterns)
    assert any(p.search('<td class="arm standard">') for p in patterns)
