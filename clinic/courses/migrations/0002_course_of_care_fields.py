# The course of care gains what measurement and the plan need: its condition, the
# responsible physician, the measurement window (opened/closed) and a status history.
# New columns start nullable; 0003 fills them from existing rows and 0004 tightens them.
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MODALITIES = [
    ("iv_ketamine", "IV ketamine"),
    ("tes", "Transcranial electrical stimulation"),
    ("psychotherapy", "Psychotherapy"),
    ("integration", "Integration"),
    ("body_oriented", "Body-oriented therapy"),
    ("neuro_rehabilitation", "Neuro-rehabilitation"),
    ("monitoring", "Assessment and follow-up"),
]
CONDITIONS = [
    ("unspecified", "unspecified"),
    ("trd", "Treatment-resistant depression"),
    ("depression", "Depression"),
    ("perinatal", "Perinatal (postpartum) depression"),
    ("ptsd", "Post-traumatic stress"),
    ("anxiety", "Anxiety"),
    ("other", "Other"),
]


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("courses", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="course", name="course_planned_sessions_range"),
        migrations.RemoveConstraint(
            model_name="course", name="ketamine_course_has_dose_rule_and_consent"
        ),
        migrations.AddField(
            model_name="course",
            name="condition",
            field=models.CharField(
                choices=CONDITIONS, default="unspecified", max_length=20, verbose_name="condition"
            ),
        ),
        migrations.AddField(
            model_name="course",
            name="responsible_physician",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="responsible physician",
            ),
        ),
        migrations.AddField(
            model_name="course",
            name="opened_on",
            field=models.DateField(null=True, verbose_name="opened on"),
        ),
        migrations.AddField(
            model_name="course",
            name="closed_on",
            field=models.DateField(blank=True, null=True, verbose_name="closed on"),
        ),
        migrations.AlterField(
            model_name="course",
            name="planned_sessions",
            field=models.PositiveSmallIntegerField(
                blank=True, null=True, verbose_name="planned sessions"
            ),
        ),
        migrations.AlterField(
            model_name="course",
            name="modality",
            field=models.CharField(choices=MODALITIES, max_length=30, verbose_name="modality"),
        ),
        migrations.CreateModel(
            name="CourseStatusChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("status", models.CharField(choices=[("active", "active"), ("completed", "completed"), ("stopped", "stopped")], max_length=10)),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                ("reason", models.CharField(blank=True, max_length=500)),
                ("by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("course", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="history", to="courses.course")),
            ],
            options={"ordering": ["at", "pk"]},
        ),
    ]
