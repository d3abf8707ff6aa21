# ruff: noqa: RUF012, E501
"""An API token is bound to one membership (issue 20); the tokens issued before keep working as
their user's one membership."""

import django.db.models.deletion
from django.db import migrations, models


def bind_existing_tokens(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    Membership = apps.get_model("core", "Membership")
    first = {}
    for membership in Membership.objects.order_by("-pk"):  # the user's oldest one wins
        first[membership.user_id] = membership.pk
    for token in ApiToken.objects.filter(membership__isnull=True):
        if token.user_id in first:
            token.membership_id = first[token.user_id]
            token.save(update_fields=["membership"])


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('core', '0005_several_memberships_per_user'),
    ]

    operations = [
        migrations.AddField(
            model_name='apitoken',
            name='membership',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='api_tokens', to='core.membership'),
        ),
        migrations.RunPython(bind_existing_tokens, migrations.RunPython.noop),
    ]
