"""Formerly the seed of the registry; the seed now runs in 0005, after the rank-term table exists.

Kept (as a no-op) so that databases which applied it keep a consistent migration history.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = (("registry", "0002_full_text_search"),)

    operations = (migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop),)
