# `treatment.TreatmentCourse` moves here as `Course`. The table was renamed by treatment 0004;
# this migration only tells Django's state that the model now lives in this app.
from decimal import Decimal
import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("locations", "0002_site_contact_details"),
        ("patients", "0006_add_messenger_channels"),
        ("treatment", "0004_course_table_moves_to_courses"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Course",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ("indication", models.CharField(max_length=200, verbose_name="indication")),
                        ("modality", models.CharField(choices=[("iv_ketamine", "IV ketamine"), ("tes", "Transcranial electrical stimulation"), ("psychotherapy", "Psychotherapy"), ("integration", "Integration"), ("body_oriented", "Body-oriented therapy"), ("neuro_rehabilitation", "Neuro-rehabilitation")], max_length=30, verbose_name="modality")),
                        ("planned_sessions", models.PositiveSmallIntegerField(verbose_name="planned sessions")),
                        ("plan", models.TextField(blank=True, help_text="For example: induction of 6 infusions over 2-3 weeks, then maintenance.", verbose_name="plan")),
                        ("target_dose_mg_per_kg", models.DecimalField(blank=True, decimal_places=2, max_digits=4, null=True, verbose_name="target dose (mg/kg)")),
                        ("infusion_minutes", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="infusion time (minutes)")),
                        ("ketamine_consent_confirmed", models.BooleanField(default=False, verbose_name="ketamine consent signed")),
                        ("eligibility_reference", models.CharField(blank=True, max_length=100)),
                        ("eligibility_confirmed_by_physician", models.BooleanField(default=False)),
                        ("approved_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("status", models.CharField(choices=[("active", "active"), ("completed", "completed"), ("stopped", "stopped")], default="active", max_length=10)),
                        ("status_reason", models.CharField(blank=True, max_length=500)),
                        ("approved_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("patient", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="patients.patient")),
                        ("site", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="locations.site")),
                    ],
                    options={
                        "verbose_name": "treatment course",
                        "verbose_name_plural": "treatment courses",
                        "ordering": ["-approved_at"],
                    },
                ),
                migrations.AddConstraint(
                    model_name="course",
                    constraint=models.CheckConstraint(condition=models.Q(("planned_sessions__gte", 1), ("planned_sessions__lte", 100)), name="course_planned_sessions_range"),
                ),
                migrations.AddConstraint(
                    model_name="course",
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(("modality", "iv_ketamine"), _negated=True), models.Q(("infusion_minutes__gte", 2), ("infusion_minutes__lte", 100), ("ketamine_consent_confirmed", True), ("target_dose_mg_per_kg__gt", 0), ("target_dose_mg_per_kg__lte", Decimal("0.75"))), _connector="OR"), name="ketamine_course_has_dose_rule_and_consent"),
                ),
            ],
            database_operations=[],
        )
    ]
