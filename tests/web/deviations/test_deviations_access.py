"""Who reports where and who sees what: site staff at their own site only, monitors and data
managers at any site; a site role lists, reads and exports its own site's deviations only, and
another site's deviation answers exactly as one that does not exist."""

from __future__ import annotations

from deviation_kit import LOG, body
from enrollment import randomize
from login import signed_in_client

from trialdesk.web.deviations.models import Deviation


def _two_sites(trial):
    first, _ = randomize(trial.api("investigator-co-01"))
    second, _ = randomize(trial.api("investigator-co-02"))
    one = trial.api("coordinator-co-01").ok("POST", LOG, body(first))
    two = trial.api("monitor").ok("POST", LOG, body(second))
    return first, second, one, two


def test_site_staff_report_only_at_their_own_site(trial):
    first, second, _, _ = _two_sites(trial)
    coordinator = trial.api("coordinator-co-01")
    # another site's participant: not found, as if it did not exist
    assert coordinator.post(LOG, body(second)).status_code == 404
    assert coordinator.post(LOG, body(None, site="CO-02")).status_code == 403
    # a site-level deviation of its own site needs no site named
    own = coordinator.ok("POST", LOG, body(None, description="Delegation log not signed"))
    assert own["site"] == "CO-01" and own["participant"] is None
    # monitors and data managers report at any site
    assert trial.api("data_manager").ok("POST", LOG, body(None, site="CO-03"))["site"] == "CO-03"
    # a participant of one site, a deviation of another: refused
    answer = trial.api("monitor").post(LOG, body(first, site="CO-02"))
    assert answer.status_code == 422 and "participant" in answer.content.decode()
    # roles that do not report: the pharmacist, the analyst, the DSMB statistician
    for name in ("pharmacist-co-01", "analyst", "dsmb_statistician", "admin"):
        assert trial.api(name).post(LOG, body(first)).status_code in (403, 404), name


def test_a_site_role_sees_only_its_own_sites_deviations(trial):
    _, _, one, two = _two_sites(trial)
    investigator = trial.api("investigator-co-01")
    assert [d["key"] for d in investigator.ok("GET", LOG)] == [one["key"]]
    other, missing = investigator.get(f"{LOG}/{two['id']}"), investigator.get(f"{LOG}/99999")
    assert other.status_code == missing.status_code == 404
    assert (other.content.replace(str(two["id"]).encode(), b"#")
            == missing.content.replace(b"99999", b"#"))
    assert investigator.send("PATCH", f"{LOG}/{two['id']}", {
        "description": "Changed by another site", "reason": "Trying my luck"}).status_code == 404
    csv = investigator.get(f"{LOG}.csv").content.decode()
    assert one["key"] in csv and two["key"] not in csv
    page = signed_in_client(trial.users["investigator-co-01"])
    assert two["key"] not in page.get("/deviations/").content.decode()
    assert page.get(f"/deviations/{two['id']}/").status_code == 404
    # trial-wide roles see both
    assert len(trial.api("monitor").ok("GET", LOG)) == 2
    assert len(trial.api("analyst").ok("GET", LOG)) == 2
    # the pharmacist does not read the log at all
    assert trial.api("pharmacist-co-01").get(LOG).status_code == 403
    assert Deviation.objects.get(pk=two["id"]).description == "Day 7 visit done on day 10"


def test_filters_and_a_bad_filter_named(trial):
    _, _, _, two = _two_sites(trial)
    monitor = trial.api("monitor")
    assert [d["key"] for d in monitor.ok("GET", LOG + "?site=CO-02")] == [two["key"]]
    assert monitor.ok("GET", LOG + "?severity=major") == []
    answer = monitor.get(LOG + "?status=pending")
    assert answer.status_code == 422 and "status" in answer.content.decode()
