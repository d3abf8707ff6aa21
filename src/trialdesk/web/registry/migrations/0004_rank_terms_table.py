"""Rank terms move from a JSON column to rows (StudyTerm), so ranking reads only what it needs."""

import django.db.models.deletion
from django.db import migrations, models


def copy_terms(apps, schema_editor) -> None:
    from trialdesk.standards.related import normalize

    study_model = apps.get_model("registry", "Study")
    term_model = apps.get_model("registry", "StudyTerm")
    rows = []
    for study in study_model.objects.all():
        seen: dict[tuple[str, str], object] = {}
        for kind, term, inferred in study.terms:
            key = (kind, normalize(term))
            if key not in seen or (seen[key].inferred and not inferred):
                seen[key] = term_model(study=study, kind=kind, key=key[1], term=term,
                                       inferred=inferred)
        rows += seen.values()
    term_model.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = (("registry", "0003_seed_default_trial"),)

    operations = (
        migrations.CreateModel(
            name="StudyTerm",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("kind", models.CharField(max_length=10)),
                ("key", models.CharField(help_text="the term as compared: case-folded",
                                         max_length=300)),
                ("term", models.CharField(max_length=300)),
                ("inferred", models.BooleanField(default=False)),
                ("study", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                            related_name="rank_terms", to="registry.study")),
            ],
            options={
                "indexes": [models.Index(fields=["key", "kind"], name="registry_term_key")],
                "constraints": [models.UniqueConstraint(fields=("study", "kind", "key"),
                                                        name="registry_term_once")],
            },
        ),
        migrations.RunPython(copy_terms, migrations.RunPython.noop),
        migrations.RemoveField(model_name="study", name="terms"),
    )
