import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db import OperationalError
from django.test import RequestFactory
from django.utils import translation

from clinic.accounts.roles import Role
from clinic.core.errors import Refused, is_contention, refuse_on_contention
from clinic.core.models import AuditEvent
from clinic.core.refusals import refused

pytestmark = pytest.mark.django_db


class Example(Refused):
    code = "example.refused"


def request_for(user):
    request = RequestFactory().post("/")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def raising(error):
    def service(*args, **kwargs):
        raise error

    return service


def test_a_refusal_is_shown_and_audited_with_its_code(users):
    user = users[(Role.NURSE, "kyiv")]
    request = request_for(user)
    refused(request, Example("Not today."))
    assert [str(m) for m in request._messages] == ["Not today."]
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome) == ("example.refused", "denied")
    assert event.reason == "Not today." and event.actor == user


def test_a_raise_may_name_a_narrower_code():
    assert Example("x", code="example.step.refused").code == "example.step.refused"
    assert Example("x").code == "example.refused"


def test_a_refusal_audited_where_it_was_raised_is_not_audited_twice(users):
    class AlreadyAudited(Example):
        audited = True

    refused(request_for(users[(Role.NURSE, "kyiv")]), AlreadyAudited("No."))
    assert not AuditEvent.objects.exists()


def test_the_refusal_is_shown_even_when_the_audit_cannot_be_written(users, monkeypatch):
    monkeypatch.setattr(
        "clinic.core.refusals.audit", raising(OperationalError("database is locked"))
    )
    request = request_for(users[(Role.NURSE, "kyiv")])
    refused(request, Example("Not today."))
    assert [str(m) for m in request._messages] == ["Not today."]


def test_losing_a_race_is_a_refusal_and_an_outage_is_not():
    guarded = refuse_on_contention(Example)
    with translation.override("en"), pytest.raises(Example, match="try again"):
        guarded(raising(OperationalError("database is locked")))()
    with pytest.raises(OperationalError):
        guarded(raising(OperationalError("server closed the connection unexpectedly")))()


@pytest.mark.parametrize("sqlstate,lost_race", [("40P01", True), ("40001", True), ("08006", False)])
def test_postgresql_contention_is_known_by_its_sqlstate(sqlstate, lost_race):
    class Cause(Exception):
        pass

    cause = Cause()
    cause.sqlstate = sqlstate
    error = OperationalError("x")
    error.__cause__ = cause
    assert is_contention(error) is lost_race
