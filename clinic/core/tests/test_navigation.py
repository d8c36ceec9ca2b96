import pytest

from clinic.accounts.roles import Role
from clinic.core import navigation
from clinic.core.policy import ADMINISTRATOR


@pytest.fixture
def empty_menu(monkeypatch):
    monkeypatch.setattr(navigation, "_entries", {})
    navigation._resolved.cache_clear()
    yield
    navigation._resolved.cache_clear()


class Staff:
    def __init__(self, *roles, pk=1):
        self.pk = pk
        self.role_names = set(roles)


def test_the_menu_is_ordered_by_position_not_by_registration(empty_menu):
    navigation.register("core:outbox", "Outbox", position=20)
    navigation.register("core:audit_log", "Audit", position=10, counter=lambda user: 3)
    items = navigation.navigation_for(Staff(ADMINISTRATOR))
    assert [(i["name"], i["url"], i["count"]) for i in items] == [
        ("core:audit_log", "/staff/audit/", 3),
        ("core:outbox", "/staff/outbox/", None),
    ]


def test_counters_are_counted_once_per_user_for_a_few_seconds(empty_menu, settings):
    settings.NAV_COUNTER_SECONDS = 10
    calls = []
    navigation.register(
        "core:audit_log", "Audit", position=10, counter=lambda user: calls.append(user.pk) or 3
    )
    for _ in range(3):
        navigation.navigation_for(Staff(ADMINISTRATOR, pk=1))
    navigation.navigation_for(Staff(ADMINISTRATOR, pk=2))
    assert calls == [1, 2]


def test_counters_are_counted_again_once_their_time_is_up(empty_menu, settings):
    settings.NAV_COUNTER_SECONDS = 0
    counts = iter([3, 4])
    navigation.register("core:audit_log", "Audit", position=10, counter=lambda user: next(counts))
    first = navigation.navigation_for(Staff(ADMINISTRATOR))
    second = navigation.navigation_for(Staff(ADMINISTRATOR))
    assert (first[0]["count"], second[0]["count"]) == (3, 4)


def test_a_role_sees_only_the_entries_its_policy_allows(empty_menu):
    navigation.register("core:audit_log", "Audit", position=10)
    assert navigation.navigation_for(Staff(Role.NURSE)) == []


def test_registering_a_page_again_replaces_its_entry(empty_menu):
    navigation.register("core:outbox", "Outbox", position=20)
    navigation.register("core:outbox", "Outgoing", position=5)
    assert [e.label for e in navigation.entries()] == ["Outgoing"]


def test_core_names_the_administrator_role_as_accounts_defines_it():
    assert ADMINISTRATOR == Role.ADMINISTRATOR
