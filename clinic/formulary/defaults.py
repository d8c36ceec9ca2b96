"""The formulary shipped with the system, and the default minimum doses.

The MGH-ATRQ minimum doses could not be retrieved (domain.md §1.4, UNCONFIRMED). As a starting
point each antidepressant gets the LOWER BOUND OF ITS USUAL THERAPEUTIC RANGE from the UpToDate /
McMaster tables [R9], never its starting dose: where [R9]'s "usual range" begins at the starting
dose (phenelzine 15-90, mirtazapine 15-45, vortioxetine 5-20) the adequate minimum is the one
domain.md §1.4 names (`ADEQUATE_NOT_STARTING`). These are not ATRQ minima and stay marked "to be
confirmed" until the medical director signs the table off. Moclobemide has no sourced figure and
ships without one. Agomelatine's range starts at its starting dose too (25-50 mg); 25 mg is the
labelled therapeutic dose, so it stays.

Interactions with ketamine follow domain.md §7 ([R43], [R48], [R51], [R60]-[R62]); which drug is
a CYP inducer or inhibitor is general pharmacology named in §7 (carbamazepine, rifampicin,
St John's wort) or standard reference knowledge (clarithromycin, ketoconazole).
"""

USUAL_RANGE = (
    "Lower bound of the usual daily dose range, UpToDate/McMaster [R9]; not the ATRQ minimum"
)
ADEQUATE_NOT_STARTING = (
    "Adequate dose, not the starting dose: lower bound of the usual therapeutic range, "
    "domain.md §1.4 [R9]; not the ATRQ minimum"
)
# The MAOIs' adequate trial: 45-90 mg/day phenelzine or equivalent (Br J Psychiatry
# 1985;147:593-597, quoted in domain.md §1.4); phenelzine is started at 15 mg three times a day.
ADEQUATE_MAOI = (
    "Adequate MAOI trial: the lower bound of 45-90 per day of phenelzine or equivalent "
    "(Br J Psychiatry 1985;147:593-597), domain.md §1.4; the starting dose is not adequate; "
    "not the ATRQ minimum"
)
# Rows whose default changed from a starting dose (domain.md §1.4, updated): code -> (old
# default, provenance of the new one). The data migration formulary 0003 reads this.
CORRECTED = {
    "mirtazapine": (15, ADEQUATE_NOT_STARTING),
    "bupropion": (150, ADEQUATE_NOT_STARTING),
    "vortioxetine": (5, ADEQUATE_NOT_STARTING),
    "nortriptyline": (50, ADEQUATE_NOT_STARTING),
    "phenelzine": (15, ADEQUATE_MAOI),
}

# (code, name_uk, name_en, class, interaction, default minimum mg/day or None)
DRUGS = [
    ("sertraline", "Сертралін", "Sertraline", "ssri", "", 50),
    ("escitalopram", "Есциталопрам", "Escitalopram", "ssri", "", 10),
    ("citalopram", "Циталопрам", "Citalopram", "ssri", "", 20),
    ("fluoxetine", "Флуоксетин", "Fluoxetine", "ssri", "", 20),
    ("paroxetine", "Пароксетин", "Paroxetine", "ssri", "", 20),
    ("fluvoxamine", "Флувоксамін", "Fluvoxamine", "ssri", "", 50),
    ("venlafaxine", "Венлафаксин", "Venlafaxine", "snri", "", 75),
    ("duloxetine", "Дулоксетин", "Duloxetine", "snri", "", 60),
    ("desvenlafaxine", "Десвенлафаксин", "Desvenlafaxine", "snri", "", 50),
    ("milnacipran", "Мілнаципран", "Milnacipran", "snri", "", 100),
    ("levomilnacipran", "Левомілнаципран", "Levomilnacipran", "snri", "", 40),
    ("mirtazapine", "Міртазапін", "Mirtazapine", "other_ad", "", 30),
    ("bupropion", "Бупропіон", "Bupropion", "other_ad", "", 300),
    ("vortioxetine", "Вортіоксетин", "Vortioxetine", "other_ad", "", 10),
    ("vilazodone", "Вілазодон", "Vilazodone", "other_ad", "", 40),
    ("agomelatine", "Агомелатин", "Agomelatine", "other_ad", "", 25),
    ("trazodone", "Тразодон", "Trazodone", "other_ad", "", 200),
    ("nefazodone", "Нефазодон", "Nefazodone", "other_ad", "", 300),
    ("amitriptyline", "Амітриптилін", "Amitriptyline", "tca", "", 150),
    ("nortriptyline", "Нортриптилін", "Nortriptyline", "tca", "", 75),
    ("clomipramine", "Кломіпрамін", "Clomipramine", "tca", "", 100),
    ("imipramine", "Іміпрамін", "Imipramine", "tca", "", 150),
    ("desipramine", "Дезипрамін", "Desipramine", "tca", "", 150),
    ("doxepin", "Доксепін", "Doxepin", "tca", "", 100),
    ("phenelzine", "Фенелзин", "Phenelzine", "maoi", "maoi", 45),
    ("tranylcypromine", "Транілципромін", "Tranylcypromine", "maoi", "maoi", 30),
    ("moclobemide", "Моклобемід", "Moclobemide", "maoi", "maoi", None),
    # Augmenting agents (Maudsley "augmentation" dimension).
    ("lithium", "Літію карбонат", "Lithium carbonate", "augmentation", "", None),
    ("aripiprazole", "Арипіпразол", "Aripiprazole", "augmentation", "", None),
    ("quetiapine", "Кветіапін", "Quetiapine", "augmentation", "cns_depressant", None),
    ("olanzapine", "Оланзапін", "Olanzapine", "augmentation", "cns_depressant", None),
    ("liothyronine", "Ліотиронін (T3)", "Liothyronine (T3)", "augmentation", "", None),
    ("lamotrigine", "Ламотриджин", "Lamotrigine", "augmentation", "lamotrigine", None),
    # Medicines that matter for the ketamine screen.
    ("diazepam", "Діазепам", "Diazepam", "benzodiazepine", "benzodiazepine", None),
    ("alprazolam", "Алпразолам", "Alprazolam", "benzodiazepine", "benzodiazepine", None),
    ("lorazepam", "Лоразепам", "Lorazepam", "benzodiazepine", "benzodiazepine", None),
    ("clonazepam", "Клоназепам", "Clonazepam", "benzodiazepine", "benzodiazepine", None),
    ("phenazepam", "Феназепам", "Phenazepam", "benzodiazepine", "benzodiazepine", None),
    ("zolpidem", "Золпідем", "Zolpidem", "other", "cns_depressant", None),
    ("tramadol", "Трамадол", "Tramadol", "other", "cns_depressant", None),
    ("naltrexone", "Налтрексон", "Naltrexone", "other", "naltrexone", None),
    ("methylphenidate", "Метилфенідат", "Methylphenidate", "stimulant", "stimulant", None),
    ("lisdexamfetamine", "Лісдексамфетамін", "Lisdexamfetamine", "stimulant", "stimulant", None),
    ("modafinil", "Модафініл", "Modafinil", "stimulant", "stimulant", None),
    ("carbamazepine", "Карбамазепін", "Carbamazepine", "other", "cyp_inducer", None),
    ("rifampicin", "Рифампіцин", "Rifampicin", "other", "cyp_inducer", None),
    ("st-johns-wort", "Звіробій (екстракт)", "St John's wort", "other", "cyp_inducer", None),
    ("clarithromycin", "Кларитроміцин", "Clarithromycin", "other", "cyp_inhibitor", None),
    ("ketoconazole", "Кетоконазол", "Ketoconazole", "other", "cyp_inhibitor", None),
    ("theophylline", "Теофілін", "Theophylline", "other", "theophylline", None),
    ("amlodipine", "Амлодипін", "Amlodipine", "other", "", None),
    ("levothyroxine", "Левотироксин", "Levothyroxine", "other", "", None),
]


def provenance_of(code: str, minimum) -> str:
    if minimum is None:
        return "No sourced figure (domain.md §1.4); to be set by the medical director"
    return CORRECTED[code][1] if code in CORRECTED else USUAL_RANGE


def load_formulary(apps=None):
    """Create the shipped drugs and their default minimum doses; existing rows are kept."""
    from decimal import Decimal

    if apps is None:
        from clinic.formulary.models import AdequacyRules, Drug, MinimumDose
    else:
        Drug = apps.get_model("formulary", "Drug")
        MinimumDose = apps.get_model("formulary", "MinimumDose")
        AdequacyRules = apps.get_model("formulary", "AdequacyRules")
    antidepressant = {"ssri", "snri", "tca", "maoi", "other_ad"}
    for code, name_uk, name_en, drug_class, interaction, minimum in DRUGS:
        drug, _ = Drug.objects.get_or_create(
            code=code,
            defaults={
                "name_uk": name_uk,
                "name_en": name_en,
                "drug_class": drug_class,
                "interaction": interaction,
            },
        )
        if drug_class in antidepressant:
            MinimumDose.objects.get_or_create(
                drug=drug,
                defaults={
                    "daily_mg": Decimal(minimum) if minimum is not None else None,
                    "provenance": provenance_of(code, minimum),
                },
            )
    AdequacyRules.objects.get_or_create(pk=1)
