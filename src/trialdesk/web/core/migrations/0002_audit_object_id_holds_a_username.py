# ruff: noqa: RUF012
"""An audit record's object can be a username (up to 150 characters): widen ``object_id``.

On PostgreSQL widening a varchar changes no row and fires no trigger. On SQLite, which does not
enforce the length, the column is left as it is: Django would rebuild the table to change it, and
the rebuilt table would lose its append-only triggers.
"""

from django.db import migrations, models


def widen(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE trials_auditrecord ALTER COLUMN object_id TYPE varchar(150)")


def narrow(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE trials_auditrecord ALTER COLUMN object_id TYPE varchar(60)")


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(widen, narrow)],
            state_operations=[
                migrations.AlterField(
                    model_name='auditrecord',
                    name='object_id',
                    field=models.CharField(blank=True, max_length=150),
                ),
            ],
        ),
    ]
