# ruff: noqa: E501, RUF012
"""Sites now belong to the ``core`` app (same table); the database lock in force is recorded in
core's lock state, initialised here from the lock history."""

import django.db.models.deletion
from django.db import migrations, models


def record_database_lock_in_force(apps, schema_editor):
    lock_model = apps.get_model("capture", "Lock")
    state_model = apps.get_model("core", "DatabaseLockState")
    active = lock_model.objects.filter(scope="database", unlocked_at__isnull=True).order_by("-pk").first()
    state_model.objects.update_or_create(
        pk=1,
        defaults={"locked": active is not None, "lock_id": active.pk if active else None,
                  "changed_at": active.locked_at if active else None},
    )


class Migration(migrations.Migration):

    dependencies = [
        ('capture', '0001_initial'),
        ('core', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name='forminstance',
                    name='site',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.site'),
                ),
                migrations.AlterField(
                    model_name='query',
                    name='site',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.site'),
                ),
            ],
        ),
        migrations.RunPython(record_database_lock_in_force, migrations.RunPython.noop),
    ]
