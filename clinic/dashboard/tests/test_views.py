from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.inquiries.models import ConsentText, Inquiry
from clinic.locations.models import Closure

pytestmark = pytest.mark.django_db


def test_the_start_page_is_the_staff_root_and_asks_a_visitor_to_sign_in(client, users):
    assert reverse("dashboard:today") == "/staff/"
    response = client.get("/staff/")
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    client.force_login(users[(Role.NURSE, "kyiv")])
    assert client.get("/staff/").status_code == 200


def test_the_root_is_the_public_home_in_the_visitors_language(client, users):
    assert client.get("/").url == "/uk/"
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").url == "/en/"
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="de-DE,uk;q=0.5").url == "/uk/"
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR").url == "/uk/"
    # A signed-in colleague typing the domain also lands on the public home.
    client.force_login(users[(Role.NURSE, "kyiv")])
    assert client.get("/").url == "/uk/"


def test_the_public_footer_links_discreetly_to_the_staff_sign_in(client, kyiv):
    assert 'href="/staff/"' in client.get("/en/").content.decode()


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
