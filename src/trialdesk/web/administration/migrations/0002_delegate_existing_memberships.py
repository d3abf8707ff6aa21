# ruff: noqa: RUF012  (a migration's class attributes)
"""Memberships that existed before the delegation log count as delegated: each gets an entry
signed by the system, as the server's operator's memberships do at creation (``gate``)."""

from django.db import migrations
from django.utils import timezone

DUTIES = "Held before the delegation log was kept; recorded as delegated by the system."


def delegate_existing(apps, schema_editor):
    Membership = apps.get_model("core", "Membership")
    Delegation = apps.get_model("administration", "Delegation")
    now = timezone.now()
    delegated = set(Delegation.objects.values_list("membership_id", flat=True))
    Delegation.objects.bulk_create(
        Delegation(membership_id=m.pk, person_id=m.user_id, role=m.role, site_id=m.site_id,
                   duties=DUTIES, start_date=now.date(), created_by="system", created_at=now,
                   signed_by_name="system", signed_at=now)
        for m in Membership.objects.all() if m.pk not in delegated)


class Migration(migrations.Migration):
    dependencies = [("administration", "0001_initial")]
    operations = [migrations.RunPython(delegate_existing, migrations.RunPython.noop)]
