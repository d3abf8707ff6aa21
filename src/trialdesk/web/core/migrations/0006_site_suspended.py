# ruff: noqa: RUF012, E501
"""A site may be suspended: recruitment halted for a while, its patients still followed (issue 24).

Only the field's choices change (no column does): ``trialdesk.site_status`` says what each status
allows and which changes are allowed.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0005_several_memberships_per_user'),
    ]

    operations = [
        migrations.AlterField(
            model_name='site',
            name='status',
            field=models.CharField(choices=[('planned', 'planned'), ('active', 'active'), ('suspended', 'suspended'), ('closed', 'closed')], default='planned', max_length=10),
        ),
    ]
