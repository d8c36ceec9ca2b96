"""The published defaults of each scale's thresholds, with where each comes from.

Frozen here (not imported from the instruments) so the migration means the same later.
"""

from django.db import migrations

DEFAULTS = {
    "phq9": {
        "remission_max": 4,
        "screen_cutoff": 10,
        "provenance": "Remission <5: conventional, primary citation UNCONFIRMED (domain.md §2.2). "
        "Cut-off ≥10: Kroenke 2001 [R20].",
    },
    "gad7": {
        "remission_max": 4,
        "screen_cutoff": 10,
        "provenance": "Remission: UNCONFIRMED, minimal band used (domain.md §2.3). Cut-off ≥10 "
        "[R21][R23]; ≥8 acceptable in a 2016 meta-analysis.",
    },
    "epds": {
        "remission_max": 9,
        "screen_cutoff": 13,
        "provenance": "Cut-off ≥13 assess, ≥10 for sensitivity [R24]. Remission <10: UNCONFIRMED.",
    },
    "madrs": {
        "remission_max": 10,
        "alert_item_min": 1,
        "provenance": "Remission ≤10 (≤10–12 by source) [R12-bis]. Item 10 alert >0: local policy, "
        "UNCONFIRMED (domain.md §2.5).",
    },
    "qids_sr16": {"remission_max": 5, "provenance": "Remission ≤5, STAR*D usage [R28]."},
    "pcl5": {
        "screen_cutoff": 33,
        "provenance": "Probable PTSD 31–33 commonly; 38 in earlier VA guidance [R29].",
    },
    "cssrs": {"provenance": "Triage categories, Posner 2011 [R30]; no thresholds."},
    "cadss": {"provenance": "Dissociation 'case' threshold UNCONFIRMED (domain.md §2.9)."},
    "moaas": {"sedation_max": 3, "provenance": "Sedation ≤3: UNCONFIRMED (domain.md §2.10)."},
    "aldrete": {
        "discharge_min": 9,
        "provenance": "≥9 commonly taught, UNCONFIRMED; ≥8 or >8 in other sources [R34].",
    },
    "padss": {"discharge_min": 9, "provenance": "PADSS ≥9 fit for discharge [R35]."},
    "bprs": {"provenance": "No thresholds; positive-symptom subset UNCONFIRMED [R33-bis]."},
}


def seed(apps, schema_editor):
    ScaleSettings = apps.get_model("assessments", "ScaleSettings")
    for code, values in DEFAULTS.items():
        ScaleSettings.objects.get_or_create(code=code, defaults=values)


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
