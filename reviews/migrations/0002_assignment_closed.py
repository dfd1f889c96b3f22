"""Assignments can be closed: those of an application that ended (withdrawn or decided) before
they were done. Open assignments of applications that ended before this release are closed
here, so that they leave the reviewers' desks and loads."""

from django.db import migrations, models

ENDED = ("withdrawn", "approved", "rejected")
OPEN = ("pending", "accepted")


def close_ended(apps, schema_editor):
    Assignment = apps.get_model("reviews", "Assignment")
    Assignment.objects.filter(status__in=OPEN, application__status__in=ENDED).update(
        status="closed"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="assignment",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Awaiting acceptance"),
                    ("accepted", "Accepted"),
                    ("declined", "Declined"),
                    ("done", "Review submitted"),
                    ("closed", "Closed: no longer needed"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.RunPython(close_ended, migrations.RunPython.noop),
    ]
