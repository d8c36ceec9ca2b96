# Every course now has its window and responsible physician (filled by 0003, and by the
# merge of measurement windows in assessments 0006): make them required and add the rules.
from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0003_fill_course_windows"),
        ("assessments", "0006_merge_courses_into_care_courses"),
    ]

    operations = [
        migrations.AlterField(
            model_name="course",
            name="opened_on",
            field=models.DateField(verbose_name="opened on"),
        ),
        migrations.AlterField(
            model_name="course",
            name="responsible_physician",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="responsible physician",
            ),
        ),
        migrations.AlterModelOptions(
            name="course",
            options={
                "ordering": ["-approved_at", "-pk"],
                "verbose_name": "course of care",
                "verbose_name_plural": "courses of care",
            },
        ),
        migrations.AddIndex(
            model_name="course",
            index=models.Index(fields=["patient", "opened_on"], name="course_patient_opened"),
        ),
        migrations.AddConstraint(
            model_name="course",
            constraint=models.CheckConstraint(
                condition=models.Q(("planned_sessions__isnull", True), models.Q(("planned_sessions__gte", 1), ("planned_sessions__lte", 100)), _connector="OR"),
                name="course_planned_sessions_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="course",
            constraint=models.CheckConstraint(
                condition=models.Q(models.Q(("modality", "iv_ketamine"), _negated=True), models.Q(("infusion_minutes__gte", 2), ("infusion_minutes__lte", 100), ("ketamine_consent_confirmed", True), ("planned_sessions__isnull", False), ("target_dose_mg_per_kg__gt", 0), ("target_dose_mg_per_kg__lte", Decimal("0.75"))), _connector="OR"),
                name="ketamine_course_has_dose_rule_and_consent",
            ),
        ),
        migrations.AddConstraint(
            model_name="course",
            constraint=models.CheckConstraint(
                condition=models.Q(("closed_on__isnull", True), ("closed_on__gte", models.F("opened_on")), _connector="OR"),
                name="course_closes_after_it_opens",
            ),
        ),
        migrations.AddConstraint(
            model_name="course",
            constraint=models.CheckConstraint(
                condition=models.Q(models.Q(("closed_on__isnull", True), ("status", "active")), models.Q(models.Q(("status", "active"), _negated=True), ("closed_on__isnull", False)), _connector="OR"),
                name="course_closed_on_matches_status",
            ),
        ),
    ]
