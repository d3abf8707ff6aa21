# ruff: noqa: E501, RUF012
"""Sites, memberships and the audit trail move here from ``trials``: their tables stay as they are
(only Django's record of which app owns them changes); the database lock state is new."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('trials', '0007_audit_actor_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Site',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(max_length=5, unique=True)),
                        ('name', models.CharField(max_length=200)),
                    ],
                    options={'db_table': 'trials_site'},
                ),
                migrations.CreateModel(
                    name='Membership',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(max_length=40)),
                        ('language', models.CharField(blank=True, default='', max_length=8)),
                        ('site', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to='core.site')),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='membership', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={'db_table': 'trials_membership'},
                ),
                migrations.CreateModel(
                    name='AuditRecord',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('seq', models.PositiveBigIntegerField(unique=True)),
                        ('at', models.DateTimeField()),
                        ('actor', models.CharField(max_length=150)),
                        ('action', models.CharField(max_length=40)),
                        ('model', models.CharField(blank=True, max_length=60)),
                        ('object_id', models.CharField(blank=True, max_length=60)),
                        ('changes', models.JSONField(default=dict)),
                        ('reason', models.TextField(blank=True)),
                        ('prev_hash', models.CharField(max_length=64)),
                        ('hash', models.CharField(max_length=64)),
                    ],
                    options={
                        'db_table': 'trials_auditrecord',
                        'indexes': [models.Index(fields=['actor', 'action', 'at'], name='trials_audit_actor_action')],
                    },
                ),
                migrations.CreateModel(
                    name='AuditAnchor',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('seq', models.PositiveBigIntegerField()),
                        ('hash', models.CharField(max_length=64)),
                        ('at', models.DateTimeField()),
                    ],
                    options={
                        'db_table': 'trials_auditanchor',
                        'indexes': [models.Index(fields=['seq'], name='trials_anchor_seq')],
                    },
                ),
            ],
        ),
        migrations.CreateModel(
            name='DatabaseLockState',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('locked', models.BooleanField(default=False)),
                ('lock_id', models.BigIntegerField(blank=True, null=True)),
                ('changed_at', models.DateTimeField(blank=True, null=True)),
            ],
        ),
    ]
