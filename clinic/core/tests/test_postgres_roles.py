"""PostgreSQL-only: the application role cannot rewrite append-only tables."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from clinic.accounts.models import User
from clinic.core.audit import audit
from clinic.core.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def app_role():
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE clinic_app_test NOLOGIN")
    call_command("grant_app_role", "clinic_app_test", stdout=StringIO())
    return "clinic_app_test"


def as_role(role, sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {role}")
        cursor.execute(sql, params)


def test_the_app_role_can_append_and_read_audit_rows(app_role):
    audit(User.objects.system_actor(), "test.before")
    as_role(app_role, "SELECT count(*) FROM core_auditevent")
    # Inserting goes through audit() normally; here we only check the privilege exists.
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege(%s, 'core_auditevent', 'INSERT')", [app_role])
        assert cursor.fetchone()[0] is True


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE core_auditevent SET reason = 'x'",
        "DELETE FROM core_auditevent",
        "TRUNCATE core_auditevent",
    ],
)
def test_the_app_role_cannot_change_audit_rows(app_role, sql):
    audit(User.objects.system_actor(), "test.before")
    with pytest.raises(DatabaseError, match="permission denied"):
        as_role(app_role, sql)
    assert AuditEvent.objects.get().reason == ""


def test_the_app_role_may_update_ordinary_tables(app_role):
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege(%s, 'core_outboxmessage', 'UPDATE')", [app_role])
        assert cursor.fetchone()[0] is True
