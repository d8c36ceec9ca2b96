import pytest

from clinic.accounts.roles import Role
from clinic.core.models import AuditEvent
from clinic.locations.models import Closure

pytestmark = pytest.mark.django_db


def test_administrator_adds_a_closure_and_sees_it(admin_client, kyiv):
    response = admin_client.post(
        "/staff/sites/closures/new/",
        {
            "site": kyiv.pk,
            "starts_on": "2026-12-31",
            "ends_on": "2027-01-02",
            "reason": "Новий рік",
        },
    )
    assert response.status_code == 302
    closure = Closure.objects.get()
    assert (closure.site, str(closure.starts_on), str(closure.ends_on)) == (
        kyiv,
        "2026-12-31",
        "2027-01-02",
    )
    assert AuditEvent.objects.filter(action="closure.added", site=kyiv).count() == 1
    assert "Новий рік" in admin_client.get("/staff/sites/").content.decode()


def test_it_refuses_a_closure_that_ends_before_it_starts(admin_client, kyiv):
    response = admin_client.post(
        "/staff/sites/closures/new/",
        {"site": kyiv.pk, "starts_on": "2026-12-31", "ends_on": "2026-12-01", "reason": "x"},
    )
    assert response.status_code == 200
    assert Closure.objects.count() == 0
    assert not AuditEvent.objects.filter(action="closure.added").exists()


@pytest.mark.parametrize(
    "bad",
    [
        {"starts_on": "31/31/2026", "ends_on": "2026-12-31"},
        {"starts_on": "2026-02-30", "ends_on": "2026-03-01"},
        {"starts_on": "", "ends_on": ""},
    ],
)
def test_it_refuses_bad_dates_with_a_message(admin_client, kyiv, bad):
    response = admin_client.post(
        "/staff/sites/closures/new/", {"site": kyiv.pk, "reason": "x", **bad}
    )
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert Closure.objects.count() == 0


def test_administrator_cannot_close_a_site_they_do_not_work_at(admin_client, lviv):
    admin_client.post(
        "/staff/sites/closures/new/",
        {"site": lviv.pk, "starts_on": "2026-12-31", "ends_on": "2026-12-31", "reason": "x"},
    )
    assert Closure.objects.count() == 0


def test_administrator_changes_and_removes_a_closure(admin_client, users, kyiv):
    closure = Closure.objects.create(
        site=kyiv,
        starts_on="2026-12-24",
        ends_on="2026-12-24",
        reason="x",
        created_by=users[(Role.ADMINISTRATOR, "kyiv")],
    )
    admin_client.post(
        f"/staff/sites/closures/{closure.public_id}/",
        {"starts_on": "2026-12-25", "ends_on": "2026-12-26", "reason": "Різдво"},
    )
    closure.refresh_from_db()
    assert (str(closure.starts_on), closure.reason) == ("2026-12-25", "Різдво")
    admin_client.post(f"/staff/sites/closures/{closure.public_id}/remove/")
    assert not Closure.objects.exists()
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions[-2:] == ["closure.changed", "closure.removed"]


def test_a_nurse_sees_sites_but_cannot_add_closures(client, users, kyiv):
    client.force_login(users[(Role.NURSE, "kyiv")])
    assert client.get("/staff/sites/").status_code == 200
    response = client.post(
        "/staff/sites/closures/new/",
        {"site": kyiv.pk, "starts_on": "2026-12-31", "ends_on": "2026-12-31", "reason": "x"},
    )
    assert response.status_code == 403
    assert Closure.objects.count() == 0
