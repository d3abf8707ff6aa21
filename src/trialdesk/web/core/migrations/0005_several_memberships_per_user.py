# ruff: noqa: RUF012, E501
"""A person may hold several memberships (roles at sites), each deactivated, never deleted (issue 20).

The table and every existing row stay as they were: each user's one membership becomes their
only one, active.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0004_idempotent_answers'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='membership',
            name='active',
            field=models.BooleanField(default=True),
        ),
        migrations.AlterField(
            model_name='membership',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='membership',
            constraint=models.UniqueConstraint(condition=models.Q(('site__isnull', False)), fields=('user', 'role', 'site'), name='core_membership_user_role_site'),
        ),
        migrations.AddConstraint(
            model_name='membership',
            constraint=models.UniqueConstraint(condition=models.Q(('site__isnull', True)), fields=('user', 'role'), name='core_membership_user_trial_role'),
        ),
    ]
