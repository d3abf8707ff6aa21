# ruff: noqa: RUF012, E501
"""The answers of the API's create operations kept under the caller's idempotency key (issue 12)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_site_status'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='IdempotentAnswer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=100)),
                ('operation', models.CharField(max_length=100)),
                ('fingerprint', models.CharField(max_length=64)),
                ('role', models.CharField(max_length=40)),
                ('site', models.CharField(blank=True, max_length=5)),
                ('status', models.PositiveSmallIntegerField()),
                ('body', models.JSONField()),
                ('created_at', models.DateTimeField()),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('user', 'key'), name='core_idempotent_user_key')],
            },
        ),
    ]
