"""Ship the registry with the default trial and the related trials its registry page lists."""

from django.db import migrations


def seed(apps, schema_editor) -> None:
    from trialdesk.protocol import load_protocol
    from trialdesk.web.registry.store import seed_registry

    seed_registry(load_protocol(), study_model=apps.get_model("registry", "Study"),
                  version_model=apps.get_model("registry", "StudyVersion"))


def unseed(apps, schema_editor) -> None:
    apps.get_model("registry", "Study").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = (("registry", "0002_full_text_search"),)

    operations = (migrations.RunPython(seed, unseed),)
