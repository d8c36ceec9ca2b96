"""Reference data the patient record ships with: version 1 of each consent text.

Loaded by migration 0004 and again after every migrate/flush (apps.py), idempotently, so a
flushed test database has them too.
"""

from datetime import UTC, datetime

WORDINGS = {
    "treatment": (
        "Я погоджуюся на обстеження та лікування в центрі. Мені пояснили мету, очікувану "
        "користь, можливі ризики та альтернативи; я можу відкликати згоду будь-коли.",
        "I agree to be examined and treated at the centre. The purpose, expected benefit, "
        "possible risks and alternatives have been explained to me; I may withdraw at any time.",
    ),
    "ketamine": (
        "Я погоджуюся на терапію кетаміном. Мені пояснили можливі ефекти (дисоціація, "
        "підвищення тиску, нудота, сонливість), потребу в супроводі після сеансу та заборону "
        "керувати транспортом до наступного дня.",
        "I agree to ketamine therapy. Possible effects (dissociation, raised blood pressure, "
        "nausea, drowsiness), the need for an escort after each session and not driving until "
        "the next day have been explained to me.",
    ),
    "personal_data": (
        "Я погоджуюся на обробку моїх персональних даних, зокрема даних про здоров'я, з метою "
        "надання медичної допомоги (Закон України «Про захист персональних даних», ст. 7).",
        "I agree to the processing of my personal data, including health data, for the purpose "
        "of medical care (Law of Ukraine on Personal Data Protection, Art. 7).",
    ),
    "communications": (
        "Я погоджуюся отримувати нагадування про візити та посилання на опитувальники "
        "обраним каналом (SMS або e-mail).",
        "I agree to receive visit reminders and questionnaire links by the channel I chose "
        "(text message or e-mail).",
    ),
    "research": (
        "Я погоджуюся, щоб мої знеособлені дані використовувалися для аналізу результатів "
        "лікування та досліджень.",
        "I agree that my de-identified data may be used for the analysis of treatment outcomes "
        "and for research.",
    ),
}


FIRST_WORDING_IN_FORCE = datetime(2020, 1, 1, tzinfo=UTC)


def load_consent_wordings(apps=None) -> None:
    if apps is None:
        from clinic.patients.models import ConsentWording
    else:
        ConsentWording = apps.get_model("patients", "ConsentWording")
    for purpose, (text_uk, text_en) in WORDINGS.items():
        ConsentWording.objects.get_or_create(
            purpose=purpose,
            version=1,
            defaults={
                "text_uk": text_uk,
                "text_en": text_en,
                # The first wording has been in force since before the system kept records, so
                # consents dated earlier than the installation (paper, imported) find it too.
                "effective_from": FIRST_WORDING_IN_FORCE,
            },
        )
