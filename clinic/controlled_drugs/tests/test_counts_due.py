"""The drug officer's "counts due": safes holding stock whose count is older than their
schedule, one click from the count form."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from clinic.controlled_drugs import services
from clinic.controlled_drugs.models import Safe
from clinic.controlled_drugs.tests.factories import make_drug, make_safe, receive
from clinic.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def counts_due(client, user) -> tuple[int, str]:
    client.force_login(user)
    page = client.get(reverse("dashboard:today")).content.decode()
    section = re.search(r'data-worklist="counts_due">(.*?)</section>', page, flags=re.S).group(1)
    count = re.search(r'data-count="(\d+)"', section)
    return (int(count.group(1)) if count else 0), section


def count_all(safe, officer):
    holdings = list(safe.holdings.filter(balance_mg__gt=0))
    return services.record_count(
        safe=safe, lines=[(h, h.balance_mg, "", h.last_seq) for h in holdings], actor=officer
    )


def test_a_safe_with_stock_is_due_until_counted_and_again_after_its_interval(
    client, officer, kyiv, drug
):
    with time_machine.travel("2026-12-01 09:00 +02:00", tick=False) as clock:
        stocked, empty = make_safe(kyiv, "Сейф А"), make_safe(kyiv, "Сейф Б")
        receive(officer, stocked, drug)
        number, section = counts_due(client, officer)
        assert number == 1
        assert reverse("controlled_drugs:count", args=[stocked.public_id]) in section
        assert empty.name not in section  # nothing in it to count
        count_all(stocked, officer)
        assert counts_due(client, officer)[0] == 0
        clock.shift(timedelta(hours=23))
        assert counts_due(client, officer)[0] == 0
        clock.shift(timedelta(hours=1))
        number, section = counts_due(client, officer)
        assert number == 1 and "01.12.2026 09:00" in section


def test_the_interval_is_the_safes_own(client, officer, kyiv, drug):
    with time_machine.travel("2026-12-01 09:00 +02:00", tick=False) as clock:
        safe = make_safe(kyiv, "Сейф А")
        receive(officer, safe, drug)
        count_all(safe, officer)
        services.change_safe(safe, name=safe.name, count_every_hours=8, actor=officer)
        clock.shift(timedelta(hours=8))
        assert counts_due(client, officer)[0] == 1


def test_an_interval_out_of_range_is_refused_and_nothing_changes(client, officer, safe):
    client.force_login(officer)
    response = client.post(
        reverse("controlled_drugs:safe_change", args=[safe.public_id]),
        {"action": "save", "name": safe.name, "count_every_hours": "0"},
    )
    assert response.status_code == 400
    assert Safe.objects.get(pk=safe.pk).count_every_hours == 24
    assert not AuditEvent.objects.filter(action="drugs.catalogue.safe_changed").exists()


def test_the_officer_changes_the_interval_and_the_history_keeps_it(client, officer, safe):
    client.force_login(officer)
    client.post(
        reverse("controlled_drugs:safe_change", args=[safe.public_id]),
        {"action": "save", "name": safe.name, "count_every_hours": "12"},
    )
    assert Safe.objects.get(pk=safe.pk).count_every_hours == 12
    event = AuditEvent.objects.get(action="drugs.catalogue.safe_changed")
    assert "count_every_hours: 24 → 12" in event.reason


def test_counts_due_cost_the_same_queries_whatever_the_safes(
    client, officer, kyiv, drug, django_assert_max_num_queries
):
    safe = make_safe(kyiv, "Сейф 0")
    receive(officer, safe, drug)
    client.force_login(officer)
    client.get(reverse("dashboard:today"))
    with django_assert_max_num_queries(200) as few:
        client.get(reverse("dashboard:today"))
    for index in range(1, 6):
        extra = make_safe(kyiv, f"Сейф {index}")
        receive(officer, extra, make_drug(code=f"drug-{index}"), batch=f"B-{index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("dashboard:today")).content.decode()
    assert counts_due(client, officer)[0] == 6 and "Сейф 5" in page
