import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone

from clinic.formulary.defaults import DRUGS
from clinic.formulary.models import AdequacyRules, MinimumDose

pytestmark = pytest.mark.django_db

migration = importlib.import_module("clinic.formulary.migrations.0003_adequate_not_starting_doses")


def test_starting_doses_are_not_shipped_as_adequate_minima():
    # domain.md §1.4 (updated): the lower bound of the usual therapeutic range, never the start.
    minima = {code: minimum for code, *_rest, minimum in DRUGS}
    assert minima["phenelzine"] == 45
    assert minima["mirtazapine"] == 30
    assert minima["vortioxetine"] == 10
    assert minima["bupropion"] == 300
    assert minima["nortriptyline"] == 75
    assert MinimumDose.objects.get(drug__code="phenelzine").daily_mg == Decimal(45)
    assert "1985" in MinimumDose.objects.get(drug__code="phenelzine").provenance


def test_the_migration_corrects_old_defaults_and_leaves_edited_rows(capsys):
    AdequacyRules.objects.update_or_create(pk=1, defaults={"signed_off_at": timezone.now()})
    MinimumDose.objects.filter(drug__code="phenelzine").update(
        daily_mg=15, provenance=migration.OLD_SOURCE
    )
    MinimumDose.objects.filter(drug__code="mirtazapine").update(
        daily_mg=20, provenance="Clinic protocol 2025"
    )

    migration.correct(apps, None)

    assert MinimumDose.objects.get(drug__code="phenelzine").daily_mg == Decimal(45)
    assert MinimumDose.objects.get(drug__code="phenelzine").provenance == migration.MAOI
    assert MinimumDose.objects.get(drug__code="mirtazapine").daily_mg == Decimal(20)
    assert MinimumDose.objects.get(drug__code="bupropion").daily_mg == Decimal(300)
    out = capsys.readouterr().out
    assert "phenelzine 15 -> 45" in out
    assert "mirtazapine 20" in out and "left as they are" in out
    assert AdequacyRules.objects.get(pk=1).signed_off_at is None
