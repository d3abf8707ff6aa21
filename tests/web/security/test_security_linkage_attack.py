"""The linkage attack: a blinded role combines what it may read to recover who shares an arm.

A null-effect trial of 120 participants is simulated through the real write path (deaths, AEs,
dispensing with arm-dependent preparation times and lots), locked and still blinded. For every
demo user whose role sees no arm, the attacker collects what the user can read — the participant
list, every form's data, the audit trail, the analysis groups, the analysis report's figures and
plot data (``report_context``, what the page and its download render) — and tries:

1. the per-participant groups (``/api/v1/analysis/groups``) as the arms;
2. the report's Kaplan-Meier death steps per group, matched to each participant's day of death;
3. the time from randomization to dispensing in the audit trail (the cells take longer);
4. a naive Bayes classifier over each participant's text, digits kept ("group 1" and "group 2"
   are different tokens), left out one participant at a time;
5. every token of that text against the arms (Fisher's exact test, Bonferroni over the tokens).

Each guess of the real grouping must not beat chance (binomial test, alpha 0.001; two-sided where
the label of a group is unknown to the attacker, so that agreeing with the arms 100% or 0% both
count; one-sided for the classifier, which names arms).
Then the dummy allocation is replaced by the real one and the same attacks must catch it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import User
from login import signed_in_client
from scipy.stats import binomtest, fisher_exact
from trial_factory import FAST_HASHERS

from trialdesk.web.core.actor import actor_for
from trialdesk.web.core.protocol import get_policy, get_protocol
from trialdesk.web.simulation import simulate_trial
from trialdesk.web.trials import analysis_groups
from trialdesk.web.trials.models import Randomization

pytestmark = pytest.mark.slow
ALPHA = 0.001
_CODE = re.compile(r"\b[A-Z]{2}-\d{2}-\d{4}\b")
_TOKEN = re.compile(r"[A-Za-z]+(?: \d+)?|\d+")


@dataclass
class Seen:
    """What one user could read."""

    text: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    groups: dict[str, str] = field(default_factory=dict)  # /analysis/groups
    randomized_on: dict[str, dt.date] = field(default_factory=dict)
    died_on: dict[str, dt.date] = field(default_factory=dict)
    dispensed_after: dict[str, float] = field(default_factory=dict)  # hours, from the audit
    report: list[Any] = field(default_factory=list)  # the report's sections


def _get(client, path: str) -> Any:
    response = client.get(path)
    return response.json() if response.status_code == 200 else None


def _pages(client, path: str, cursor: str) -> list[dict[str, Any]]:
    rows, after = [], 0
    while True:
        page = _get(client, f"{path}{'&' if '?' in path else '?'}after={after}&limit=1000")
        if not page:
            return rows
        items = page["rows"] if isinstance(page, dict) else page
        rows += items
        if isinstance(page, dict):
            if page.get("next") is None:
                return rows
            after = page["next"]
        else:
            if len(items) < 1000:
                return rows
            after = items[-1]["seq" if "seq" in items[-1] else cursor]


def _when(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _collect(user: User) -> Seen:
    from trialdesk.web.reports.views import report_context

    seen, client = Seen(), signed_in_client(user)
    for row in _get(client, "/api/v1/participants") or []:
        seen.text[row["code"]].append(str(row))
        if row.get("randomized_at"):
            seen.randomized_on[row["code"]] = dt.date.fromisoformat(row["randomized_at"][:10])
    for form in get_protocol().forms:
        for row in _pages(client, f"/api/v1/form-data?form={form.code}", "pk"):
            seen.text[row["participant"]].append(str(row["values"]))
            death = (row["values"] or {}).get("death_date")
            if form.code == "end_of_study" and death:
                seen.died_on[row["participant"]] = dt.date.fromisoformat(death[:10])
    randomized_at, dispensed_at = {}, {}
    audit = _pages(client, "/api/v1/audit", "row")  # "seq" for a reader of the full trail
    for record in audit:
        text = str(record)
        for code in set(_CODE.findall(text)):
            seen.text[code].append(text)
            at = _when(record.get("at"))
            if at is not None and record.get("action") == "randomize":
                randomized_at[code] = at
            if at is not None and "dispens" in str(record.get("action")):
                dispensed_at[code] = at
    for code, at in dispensed_at.items():
        if code in randomized_at:
            seen.dispensed_after[code] = (at - randomized_at[code]).total_seconds() / 3600
    for row in _get(client, "/api/v1/analysis/groups") or []:
        seen.groups[row["participant"]] = row["group"]
        seen.text[row["participant"]].append(str(row))
    actor = actor_for(user)
    if actor.can_any(("blinded_analysis", "unblinded_reports", "blinded_export", "lock")):
        seen.report = report_context(actor)["sections"]
    return seen


def _p(guess: dict[str, str], real: dict[str, str]) -> tuple[float, int]:
    """Two-sided binomial p of the guess agreeing with the arms (either labelling), and n.

    A guess that names arms (the classifier's) is tested one-sided: only better than chance helps.
    """
    codes = [code for code in guess if code in real]
    if len(codes) < 10:
        return 1.0, len(codes)
    if set(guess.values()) <= set(real.values()):
        agree = sum(guess[c] == real[c] for c in codes)
        return binomtest(agree, len(codes), 0.5, alternative="greater").pvalue, len(codes)
    # the attacker names groups, not arms: agreement is counted for one fixed labelling
    first = sorted(set(guess.values()))[0]
    arm = real[codes[0]] if guess[codes[0]] == first else next(
        a for a in set(real.values()) if a != real[codes[0]])
    agree = sum((guess[c] == first) == (real[c] == arm) for c in codes)
    return binomtest(agree, len(codes), 0.5).pvalue, len(codes)


def _death_steps(seen: Seen) -> dict[str, str]:
    """Assign participants to a group where a day of death occurs in one group's KM steps only."""
    survival = next((s.result for s in seen.report if s.key == "survival"), None)
    if survival is None or not seen.died_on:
        return {}
    steps: dict[int, set[str]] = defaultdict(set)
    for group in (survival.a, survival.b):
        previous = 1.0
        for time, value in zip(group.curve_time, group.curve_survival, strict=True):
            if value < previous - 1e-12:
                steps[round(time)].add(group.label)
            previous = value
    guess = {}
    for code, died in seen.died_on.items():
        if code in seen.randomized_on:
            labels = steps.get((died - seen.randomized_on[code]).days, set())
            if len(labels) == 1:
                guess[code] = next(iter(labels))
    return guess


def _preparation_split(seen: Seen) -> dict[str, str]:
    if len(seen.dispensed_after) < 10:
        return {}
    middle = sorted(seen.dispensed_after.values())[len(seen.dispensed_after) // 2]
    return {code: "slow" if hours >= middle else "fast"
            for code, hours in seen.dispensed_after.items()}


def _naive_bayes(seen: Seen, real: dict[str, str]) -> dict[str, str]:
    """Leave-one-out multinomial naive Bayes over each participant's tokens (digits kept),
    trained on the real arms of the others: one participant's arm learnt another way, many times
    over."""
    docs = {code: Counter(_TOKEN.findall(" ".join(texts))) for code, texts in seen.text.items()
            if code in real}
    if len(docs) < 20:
        return {}
    # a token of one participant only (its code, a timestamp) says nothing about anyone else and,
    # left out with its participant, only biases the leave-one-out guess against its own arm
    shared = {t for t, n in Counter(t for doc in docs.values() for t in doc).items() if n >= 2}
    docs = {code: Counter({t: n for t, n in doc.items() if t in shared})
            for code, doc in docs.items()}
    arms = sorted(set(real.values()))
    totals = {arm: Counter() for arm in arms}
    for code, doc in docs.items():
        totals[real[code]].update(doc)
    vocabulary = len(set().union(*docs.values()))
    guess = {}
    for code, doc in docs.items():
        scores = {}
        for arm in arms:
            counts = totals[arm] - doc if real[code] == arm else totals[arm]
            size = sum(counts.values())
            scores[arm] = sum(n * math.log((counts[t] + 1) / (size + vocabulary))
                              for t, n in doc.items())
        guess[code] = max(scores, key=scores.get)
    return guess


def _token_scan(seen: Seen, real: dict[str, str]) -> tuple[float, int]:
    """Each token that some but not most participants' text carries, against the arms: Fisher's
    exact test per token, Bonferroni over the tokens tried; return (smallest adjusted p, tokens)."""
    docs = {code: set(_TOKEN.findall(" ".join(texts))) for code, texts in seen.text.items()
            if code in real}
    if len(docs) < 20:
        return 1.0, 0
    arms = sorted(set(real.values()))
    holders: dict[str, list[str]] = defaultdict(list)
    for code, tokens in docs.items():
        for token in tokens:
            holders[token].append(code)
    in_arm = Counter(real[code] for code in docs)
    tried = [(token, codes) for token, codes in holders.items()
             if 5 <= len(codes) <= len(docs) - 5]
    smallest = 1.0
    for _, codes in tried:
        with_token = Counter(real[code] for code in codes)
        table = [[with_token[arms[0]], with_token[arms[1]]],
                 [in_arm[arms[0]] - with_token[arms[0]], in_arm[arms[1]] - with_token[arms[1]]]]
        smallest = min(smallest, fisher_exact(table).pvalue)
    return min(1.0, smallest * max(len(tried), 1)), len(tried)


def _attacks(users: list[User], real: dict[str, str]) -> dict[tuple[str, str], tuple[float, int]]:
    found = {}
    for user in users:
        seen = _collect(user)
        for name, guess in (("analysis groups", seen.groups),
                            ("KM death steps", _death_steps(seen)),
                            ("dispensing delay", _preparation_split(seen)),
                            ("naive Bayes", _naive_bayes(seen, real))):
            found[(user.username, name)] = _p(guess, real)
        found[(user.username, "token scan")] = _token_scan(seen, real)
    return found


def test_no_blinded_role_links_participants_to_arms_and_the_attack_has_teeth(
        db, settings, tmp_path, monkeypatch):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    simulate_trial(data_dir=tmp_path, participants=120, seed=14, effect="none", stop_at="lock")
    real = dict(Randomization.objects.values_list("participant__code", "slot__arm"))
    assert len(real) == 120
    policy = get_policy()
    blinded = [user for user in User.objects.filter(memberships__isnull=False, is_active=True)
               .prefetch_related("memberships").order_by("username")
               if not policy.sees_any_arm(user.memberships.get().role)]
    roles = {user.memberships.get().role for user in blinded}
    assert {"investigator", "coordinator", "data_manager", "analyst", "monitor", "admin"} <= roles

    found = _attacks(blinded, real)
    beaten = {key: value for key, value in found.items() if value[0] < ALPHA}
    assert beaten == {}, beaten
    # the attacks had data to work on: groups for the analyst, deaths and steps for the data
    # manager, text for everyone
    assert found[("analyst", "analysis groups")][1] == 120
    assert found[("data_manager", "KM death steps")][1] >= 10
    assert all(found[(user.username, "naive Bayes")][1] >= 20 for user in blinded
               # the administrator and the safety contact read no participant
               if user.memberships.get().role not in ("admin", "safety_contact"))

    # teeth: with the real allocation in place of the dummy, the same attacks see it
    monkeypatch.setattr(analysis_groups, "dummy_arm_by_participant", lambda: dict(real))
    leaky = {user.username: user for user in blinded}
    teeth = _attacks([leaky["analyst"], leaky["data_manager"]], real)
    assert teeth[("analyst", "analysis groups")][0] < 1e-20
    assert teeth[("analyst", "token scan")][0] < 1e-6  # "group 1" now tells the arm
    # every death the steps place is placed right (p of n right out of n, either labelling)
    p, placed = teeth[("data_manager", "KM death steps")]
    assert placed >= 8 and p <= 2 * 0.5 ** placed + 1e-12, (p, placed)
