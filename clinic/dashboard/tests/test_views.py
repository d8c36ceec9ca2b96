from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.inquiries.models import ConsentText, Inquiry
from clinic.locations.models import Closure

pytestmark = pytest.mark.django_db


def test_the_start_page_is_the_staff_root_and_home_leads_there(client, users):
    assert reverse("dashboard:today") == "/staff/"
    client.force_login(users[(Role.NURSE, "kyiv")])
    assert client.get("/").url == "/staff/"


def test_the_dashboard_shows_closures_ahead_and_new_inquiries(client, users, kyiv):
    today = timezone.localdate()
    Closure.objects.create(
        site=kyiv,
        starts_on=today + timedelta(days=3),
        ends_on=today + timedelta(days=4),
        reason="Планові роботи",
        created_by=users[(Role.ADMINISTRATOR, "kyiv")],
    )
    Inquiry.objects.create(
        name="Олена",
        phone="+380671234567",
        site=kyiv,
        topic="trd",
        channel="phone",
        language="uk",
        sender_hash="x",
        consent=ConsentText.objects.get(version=1),
    )
    client.force_login(users[(Role.RECEPTIONIST, "kyiv")])
    page = client.get("/staff/").content.decode()
    assert "Планові роботи" in page
    assert "1 нове" in page


def test_the_menu_lists_each_apps_pages_in_one_order_for_the_role(client, users):
    client.force_login(users[(Role.ADMINISTRATOR, "kyiv")])
    names = [item["name"] for item in client.get("/staff/").context["nav_items"]]
    # Administrators run the centre: staff, sites, audit; no patient pages.
    assert names[0] == "dashboard:today"
    assert names[-3:] == ["locations:site_list", "core:audit_log", "core:outbox"]
    assert "patients:list" not in names

    client.force_login(users[(Role.RECEPTIONIST, "kyiv")])
    names = [item["name"] for item in client.get("/staff/").context["nav_items"]]
    assert names.index("inquiries:inbox") < names.index("patients:list")
    assert names.index("patients:list") < names.index("scheduling:day")
    assert "core:audit_log" not in names
