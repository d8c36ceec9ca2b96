import importlib.util
from pathlib import Path

import pytest
from django.core.management import call_command

from clinic.accounts.models import User

ROOT = Path(__file__).resolve().parents[3]


def load_catalogue_checker():
    spec = importlib.util.spec_from_file_location(
        "check_catalogues", ROOT / "scripts" / "check_catalogues.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("language", ["uk", "en"])
def test_the_catalogue_has_no_untranslated_or_fuzzy_entries(language):
    checker = load_catalogue_checker()
    path = checker.LOCALE / language / "LC_MESSAGES" / "django.po"
    assert checker.problems_in(path) == []


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_audit_trail_and_keeps_it_append_only():
    # Test teardown flushes the database; the append-only triggers must survive it.
    from django.db import DatabaseError, transaction

    from clinic.core.audit import audit
    from clinic.core.models import AuditEvent

    audit(User.objects.system_actor(), "test.event")
    call_command("flush", "--no-input", verbosity=0)
    assert AuditEvent.objects.count() == 0
    audit(User.objects.system_actor(), "test.event")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
