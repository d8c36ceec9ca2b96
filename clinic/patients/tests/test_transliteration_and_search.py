import pytest

from clinic.patients.search import fold, national_digits, parse_query
from clinic.patients.transliteration import transliterate


@pytest.mark.parametrize(
    ("ukrainian", "latin"),
    [  # examples of the KMU No. 55 (2010) table
        ("Алушта", "Alushta"),
        ("Борщагівка", "Borshchahivka"),
        ("Вінниця", "Vinnytsia"),
        ("Гадяч", "Hadiach"),
        ("Згорани", "Zghorany"),
        ("Ґалаґан", "Galagan"),
        ("Єнакієве", "Yenakiieve"),
        ("Наталія", "Nataliia"),
        ("Житомир", "Zhytomyr"),
        ("Закарпаття", "Zakarpattia"),
        ("Іршава", "Irshava"),
        ("Їжакевич", "Yizhakevych"),
        ("Кадіївка", "Kadiivka"),
        ("Йосипівка", "Yosypivka"),
        ("Стрий", "Stryi"),
        ("Київ", "Kyiv"),
        ("Миколаїв", "Mykolaiv"),
        ("Ужгород", "Uzhhorod"),
        ("Харків", "Kharkiv"),
        ("Біла Церква", "Bila Tserkva"),
        ("Шостка", "Shostka"),
        ("Гоща", "Hoshcha"),
        ("Русь", "Rus"),
        ("Юрій", "Yurii"),
        ("Крюківка", "Kriukivka"),
        ("Яготин", "Yahotyn"),
        ("Ічня", "Ichnia"),
        ("Знам'янка", "Znamianka"),
        ("Мар\u02bcяна", "Mariana"),
        ("Щербак-Їжакевич", "Shcherbak-Yizhakevych"),
        ("ЩЕРБАК", "SHCHERBAK"),
    ],
)
def test_it_transliterates_by_the_official_table(ukrainian, latin):
    assert transliterate(ukrainian) == latin


def test_decomposed_letters_are_composed_first():
    assert transliterate("И\u0306осип") == "Yosyp"


def test_folding_handles_cyrillic_case_and_all_apostrophes():
    assert fold("ҐУДЗЬ") == "ґудзь"
    assert fold("Мар'яна") == fold("Мар\u2019яна") == fold("Мар\u02bcяна")


@pytest.mark.parametrize(
    ("typed", "digits"),
    [("+380 67 123 45 67", "671234567"), ("067 123 45 67", "671234567"), ("67123", "67123")],
)
def test_phone_numbers_reduce_to_the_national_number(typed, digits):
    assert national_digits(typed) == digits


def test_queries_are_recognised():
    assert parse_query("14.03.1988").birth_date.isoformat() == "1988-03-14"
    assert parse_query("1988-03-14").birth_date.isoformat() == "1988-03-14"
    assert parse_query("31.02.1988").birth_date is None and parse_query("31.02.1988").prefixes == ()
    assert parse_query("067 123").prefixes == ("tel:67123",)
    assert parse_query("K-0012").prefixes == ("k-0012",)
    assert parse_query("К-0012").prefixes == ("k-0012",)  # Cyrillic К
    assert parse_query("Л-0012").prefixes == ("l-0012",)
    assert parse_query("Коваленко ОЛЕНА").prefixes == ("коваленко", "олена")
    assert parse_query("\x00").prefixes == ()
