"""The formulary shipped with the system, and the default minimum doses.

The MGH-ATRQ minimum doses could not be retrieved (domain.md §1.4, UNCONFIRMED). As a starting
point each antidepressant gets the LOWER BOUND OF ITS USUAL DAILY DOSE RANGE from the UpToDate /
McMaster tables [R9]; these are not ATRQ minima and stay marked "to be confirmed" until the
medical director signs the table off. Moclobemide has no sourced figure and ships without one.

Interactions with ketamine follow domain.md §7 ([R43], [R48], [R51], [R60]-[R62]); which drug is
a CYP inducer or inhibitor is general pharmacology named in §7 (carbamazepine, rifampicin,
St John's wort) or standard reference knowledge (clarithromycin, ketoconazole).
"""

USUAL_RANGE = (
    "Lower bound of the usual daily dose range, UpToDate/McMaster [R9]; not the ATRQ minimum"
)

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
    ("mirtazapine", "Міртазапін", "Mirtazapine", "other_ad", "", 15),
    ("bupropion", "Бупропіон", "Bupropion", "other_ad", "", 150),
    ("vortioxetine", "Вортіоксетин", "Vortioxetine", "other_ad", "", 5),
    ("vilazodone", "Вілазодон", "Vilazodone", "other_ad", "", 40),
    ("agomelatine", "Агомелатин", "Agomelatine", "other_ad", "", 25),
    ("trazodone", "Тразодон", "Trazodone", "other_ad", "", 200),
    ("nefazodone", "Нефазодон", "Nefazodone", "other_ad", "", 300),
    ("amitriptyline", "Амітриптилін", "Amitriptyline", "tca", "", 150),
    ("nortriptyline", "Нортриптилін", "Nortriptyline", "tca", "", 50),
    ("clomipramine", "Кломіпрамін", "Clomipramine", "tca", "", 100),
    ("imipramine", "Іміпрамін", "Imipramine", "tca", "", 150),
    ("desipramine", "Дезипрамін", "Desipramine", "tca", "", 150),
    ("doxepin", "Доксепін", "Doxepin", "tca", "", 100),
    ("phenelzine", "Фенелзин", "Phenelzine", "maoi", "maoi", 15),
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
                    "provenance": USUAL_RANGE
                    if minimum is not None
                    else "No sourced figure (domain.md §1.4); to be set by the medical director",
                },
            )
    AdequacyRules.objects.get_or_create(pk=1)
