# ruff: noqa: E501, RUF012
"""Site, Membership, AuditRecord and AuditAnchor now belong to the ``core`` app; their tables,
rows and triggers stay as they are."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('trials', '0007_audit_actor_index'),
        ('core', '0001_initial'),
        ('capture', '0002_site_and_lock_state_in_core'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name='participant',
                    name='site',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='participants', to='core.site'),
                ),
                migrations.DeleteModel(name='Membership'),
                migrations.DeleteModel(name='AuditRecord'),
                migrations.DeleteModel(name='AuditAnchor'),
                migrations.DeleteModel(name='Site'),
            ],
        ),
    ]
