# ruff: noqa: RUF012
"""An API token records whether its exchange checked a sign-in code (issue 20); the tokens issued
before did not, so they are refused to a user who must now sign in with two factors."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_api_token_membership'),
    ]

    operations = [
        migrations.AddField(
            model_name='apitoken',
            name='two_factor',
            field=models.BooleanField(default=False),
        ),
    ]
