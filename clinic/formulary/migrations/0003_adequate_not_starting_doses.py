"""Minimum doses that were starting doses become adequate doses (domain.md §1.4, updated).

Only rows still holding the old shipped default (value and source) change; a row the clinic
edited is left alone and named in the output. The values are copied here, not imported, so
this migration keeps meaning what it meant when it was written.
"""

from decimal import Decimal

from django.db import migrations

OLD_SOURCE = (
    "Lower bound of the usual daily dose range, UpToDate/McMaster [R9]; not the ATRQ minimum"
)
ADEQUATE = (
    "Adequate dose, not the starting dose: lower bound of the usual therapeutic range, "
    "domain.md §1.4 [R9]; not the ATRQ minimum"
)
MAOI = (
    "Adequate MAOI trial 45-90 mg/day phenelzine or equivalent (Br J Psychiatry "
    "1985;147:593-597), domain.md §1.4; 15 mg is a starting dose; not the ATRQ minimum"
)
# code: (old default, new default, new source)
CHANGES = {
    "mirtazapine": (15, 30, ADEQUATE),
    "bupropion": (150, 300, ADEQUATE),
    "vortioxetine": (5, 10, ADEQUATE),
    "nortriptyline": (50, 75, ADEQUATE),
    "phenelzine": (15, 45, MAOI),
}


def correct(apps, schema_editor):
    MinimumDose = apps.get_model("formulary", "MinimumDose")
    AdequacyRules = apps.get_model("formulary", "AdequacyRules")
    changed, kept = [], []
    for dose in MinimumDose.objects.filter(drug__code__in=CHANGES).select_related("drug"):
        old, new, source = CHANGES[dose.drug.code]
        if dose.daily_mg == Decimal(new):
            continue  # loaded with the new default already (its note may be newer)
        if dose.daily_mg == Decimal(old) and dose.provenance == OLD_SOURCE:
            dose.daily_mg, dose.provenance = Decimal(new), source
            dose.save(update_fields=["daily_mg", "provenance"])
            changed.append(f"{dose.drug.code} {old} -> {new}")
        else:
            kept.append(f"{dose.drug.code} {dose.daily_mg} ({dose.provenance})")
    if changed:
        # A changed table needs the medical director's confirmation again.
        AdequacyRules.objects.filter(pk=1).update(signed_off_at=None, signed_off_by=None)
        print(f"\n  Minimum doses corrected: {'; '.join(changed)}")
    if kept:
        print(f"\n  Minimum doses edited by the clinic, left as they are: {'; '.join(kept)}")


class Migration(migrations.Migration):
    dependencies = [("formulary", "0002_load_formulary")]

    operations = [migrations.RunPython(correct, migrations.RunPython.noop)]
