"""The first consent text, so the contact form works on a new installation.

The centre replaces it by adding a newer version; inquiries keep the version they were sent
under.
"""

from django.db import migrations

TEXT_UK = (
    "Надсилаючи цю форму, я погоджуюся, що центр обробляє мої персональні дані (ім'я, "
    "телефон, електронну пошту та текст повідомлення, зокрема відомості про здоров'я, якщо я "
    "їх вказую), щоб зв'язатися зі мною щодо консультації. Дані зберігаються в інформаційній "
    "системі центру, доступ до них мають лише працівники реєстратури та лікарі. Я можу "
    "відкликати згоду або попросити видалити дані, звернувшись до центру за телефоном чи "
    "електронною поштою. Закон України «Про захист персональних даних»."
)
TEXT_EN = (
    "By sending this form I agree that the centre processes my personal data (name, phone, "
    "e-mail and the text of my message, including health details if I give them) in order to "
    "contact me about a consultation. The data are kept in the centre's information system and "
    "only reception staff and physicians can see them. I can withdraw this consent or ask for "
    "the data to be deleted by contacting the centre by phone or e-mail. Law of Ukraine "
    "\u201cOn Personal Data Protection\u201d."
)


def add_first_version(apps, schema_editor):
    ConsentText = apps.get_model("inquiries", "ConsentText")
    ConsentText.objects.get_or_create(version=1, defaults={"text_uk": TEXT_UK, "text_en": TEXT_EN})


class Migration(migrations.Migration):
    dependencies = [("inquiries", "0001_initial")]
    operations = [migrations.RunPython(add_first_version, migrations.RunPython.noop)]
