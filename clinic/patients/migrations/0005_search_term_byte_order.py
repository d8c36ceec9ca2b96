"""On PostgreSQL the search terms compare byte by byte (collation "C").

Search is a range on the indexed term (`term >= prefix AND term < prefix || U+10FFFF`). Under
a linguistic collation (uk_UA.UTF-8, en_US.UTF-8) that range does not hold every word that
starts with the prefix, because such collations ignore or reorder characters; byte order of
UTF-8 is code-point order, where it does. SQLite already compares bytes (BINARY).
"""

from django.db import migrations


def to_byte_order(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        'ALTER TABLE patients_patientsearchterm ALTER COLUMN term TYPE varchar(100) COLLATE "C"'
    )


def to_default_order(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "ALTER TABLE patients_patientsearchterm ALTER COLUMN term TYPE varchar(100) "
        'COLLATE "default"'
    )


class Migration(migrations.Migration):
    dependencies = [("patients", "0004_consent_texts_and_search_terms")]

    operations = [migrations.RunPython(to_byte_order, to_default_order)]
