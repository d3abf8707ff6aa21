# ruff: noqa: RUF012, E501
"""A site's recruiting status (planned, active, closed) and the day it was activated (issue 24).

Existing sites start as planned: the public registry page lists a site only once an administrator
activates it (``POST /api/v1/sites/{code}/status``), so no placeholder is published as recruiting.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0002_audit_object_id_holds_a_username'),
    ]

    operations = [
        migrations.AddField(
            model_name='site',
            name='activated_on',
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='site',
            name='status',
            field=models.CharField(choices=[('planned', 'planned'), ('active', 'active'), ('closed', 'closed')], default='planned', max_length=10),
        ),
    ]
