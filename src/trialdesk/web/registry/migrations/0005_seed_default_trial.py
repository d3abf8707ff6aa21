"""Ship the registry with the default trial and the related trials its registry page lists."""

from django.db import migrations


def seed(apps, schema_editor) -> None:
    from trialdesk.protocol import load_protocol
    from trialdesk.web.registry.store import seed_registry

    protocol = load_protocol()
    study_model = apps.get_model("registry", "Study")
    if study_model.objects.filter(nct_id=protocol.registry.nct_id).exists():
        return  # seeded by the former 0003
    seed_registry(protocol, study_model=study_model,
                  version_model=apps.get_model("registry", "StudyVersion"),
                  term_model=apps.get_model("registry", "StudyTerm"))


def unseed(apps, schema_editor) -> None:
    apps.get_model("registry", "Study").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = (("registry", "0004_rank_terms_table"),)

    operations = (migrations.RunPython(seed, unseed),)
