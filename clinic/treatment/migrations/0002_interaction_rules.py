"""The interaction list checked at the pre-check (domain.md §7), as data clinicians can extend."""

from django.db import migrations

# (code, Ukrainian name, English name, severity, Ukrainian message, English message, source)
RULES = [
    (
        "benzodiazepines",
        "Бензодіазепіни (щоденно)",
        "Benzodiazepines (daily)",
        "warning",
        "Можуть послаблювати антидепресивну дію кетаміну; додаткова седація — уважне спостереження.",
        "May blunt ketamine's antidepressant effect; additive sedation — monitor closely.",
        "domain.md §7 [R60][R43][R48]",
    ),
    (
        "lamotrigine",
        "Ламотриджин",
        "Lamotrigine",
        "caution",
        "Послаблює перцептивні ефекти кетаміну; вплив на антидепресивну дію невідомий.",
        "Attenuates ketamine's perceptual effects; effect on antidepressant action unknown.",
        "domain.md §7 [R61][R43]",
    ),
    (
        "naltrexone",
        "Налтрексон",
        "Naltrexone",
        "warning",
        "Помітно послаблював гострий антидепресивний ефект кетаміну.",
        "Markedly attenuated ketamine's acute antidepressant effect.",
        "domain.md §7 [R62]",
    ),
    (
        "cyp_modulators",
        "Індуктори або інгібітори CYP2B6/CYP3A4",
        "CYP2B6 / CYP3A4 inducers or inhibitors",
        "caution",
        "Індуктори знижують, інгібітори підвищують експозицію кетаміну.",
        "Inducers lower and inhibitors raise ketamine exposure.",
        "domain.md §7 [R43]",
    ),
    (
        "cns_depressants",
        "Депресанти ЦНС (опіоїди, снодійні, алкоголь)",
        "CNS depressants (opioids, sedative hypnotics, alcohol)",
        "warning",
        "Додаткова седація — уважне спостереження.",
        "Additive sedation — monitor closely.",
        "domain.md §7 [R48][R49]",
    ),
    (
        "stimulants_maois",
        "Психостимулятори, інгібітори МАО",
        "Psychostimulants, MAOIs",
        "warning",
        "Підвищення артеріального тиску — частіший контроль тиску.",
        "Blood pressure increases — check pressure more often.",
        "domain.md §7 [R48][R49]",
    ),
    (
        "barbiturates",
        "Барбітурати, наркотичні анальгетики",
        "Barbiturates / narcotics",
        "caution",
        "Триваліше відновлення; барбітурати несумісні в одному шприці.",
        "Prolonged recovery; barbiturates incompatible in the same syringe.",
        "domain.md §7 [R51]",
    ),
    (
        "theophylline",
        "Теофілін, амінофілін",
        "Theophylline / aminophylline",
        "caution",
        "Можуть знижувати судомний поріг разом із кетаміном.",
        "May lower the seizure threshold with ketamine.",
        "domain.md §7 [R51]",
    ),
    (
        "ssri",
        "СІЗЗС",
        "SSRIs",
        "caution",
        "Вищі піки тиску під час інфузії в одній когорті.",
        "Higher blood-pressure peaks during IV ketamine in one cohort.",
        "domain.md §7 [R57]",
    ),
]


def add_rules(apps, schema_editor):
    InteractionRule = apps.get_model("treatment", "InteractionRule")
    for code, name_uk, name_en, severity, message_uk, message_en, source in RULES:
        InteractionRule.objects.get_or_create(
            code=code,
            defaults={
                "name_uk": name_uk,
                "name_en": name_en,
                "severity": severity,
                "message_uk": message_uk,
                "message_en": message_en,
                "source": source,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("treatment", "0001_initial")]
    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
