from datetime import time

import pytest

from clinic.core.models import AuditEvent
from clinic.locations.models import OpeningHours, Room, Site

pytestmark = pytest.mark.django_db


def site_post(**overrides):
    data = {
        "name_uk": "Київ",
        "name_en": "Kyiv",
        "address_uk": "вул. Хрещатик, 1",
        "address_en": "1 Khreshchatyk St",
        "phone": "+380 7373 080 88",
        "email": "reception.kyiv@example.org",
        "crisis_line": "7333",
        "map_url": "https://www.openstreetmap.org/?mlat=50.45&mlon=30.52",
        "online_booking_days": "21",
    }
    for day in range(1, 8):
        if day <= 5:
            data.update({f"day{day}-opens": "10:00", f"day{day}-closes": "19:00"})
        else:
            data[f"day{day}-closed"] = "on"
    data.update(overrides)
    return data


def test_administrator_edits_names_address_and_hours(admin_client, kyiv):
    response = admin_client.post(
        "/staff/sites/kyiv/edit/",
        site_post(**{"day6-closed": "", "day6-opens": "10:00", "day6-closes": "14:00"}),
    )
    assert response.status_code == 302
    site = Site.objects.get(pk=kyiv.pk)
    assert (site.address_uk, site.address_en) == ("вул. Хрещатик, 1", "1 Khreshchatyk St")
    assert (site.email, site.crisis_line) == ("reception.kyiv@example.org", "7333")
    assert site.map_url.startswith("https://www.openstreetmap.org/")
    assert site.online_booking_days == 21
    hours = {h.weekday: (h.opens, h.closes) for h in site.opening_hours.all()}
    assert hours[6] == (time(10), time(14))
    assert 7 not in hours and len(hours) == 6
    assert AuditEvent.objects.filter(action="site.changed", site=kyiv).count() == 1


def test_closing_before_opening_is_refused_and_nothing_changes(admin_client, kyiv):
    OpeningHours.objects.create(site=kyiv, weekday=1, opens=time(10), closes=time(19))
    response = admin_client.post(
        "/staff/sites/kyiv/edit/", site_post(**{"day1-opens": "19:00", "day1-closes": "10:00"})
    )
    assert response.status_code == 200
    assert "error" in response.content.decode()
    assert OpeningHours.objects.get(site=kyiv, weekday=1).opens == time(10)
    assert not AuditEvent.objects.filter(action="site.changed").exists()


def test_a_bad_phone_number_is_refused(admin_client, kyiv):
    response = admin_client.post("/staff/sites/kyiv/edit/", site_post(phone="call us"))
    assert response.status_code == 200
    assert str(Site.objects.get(pk=kyiv.pk).phone) == "+380737308088"


def test_administrator_cannot_edit_a_site_they_do_not_work_at(admin_client, lviv):
    assert admin_client.get("/staff/sites/lviv/edit/").status_code == 404
    admin_client.post("/staff/sites/lviv/edit/", site_post(name_uk="Злам"))
    assert Site.objects.get(pk=lviv.pk).name_uk == "Львів"


def test_administrator_adds_and_retires_a_chair(admin_client, kyiv):
    admin_client.post(
        "/staff/sites/kyiv/rooms/new/",
        {"name_uk": "Крісло 4", "name_en": "Chair 4", "kind": "infusion_chair", "is_active": "on"},
    )
    chair = Room.objects.get(site=kyiv, name="Крісло 4")
    assert chair.kind == Room.Kind.INFUSION_CHAIR and chair.name_en == "Chair 4"
    admin_client.post(
        f"/staff/sites/rooms/{chair.public_id}/",
        {"name_uk": "Крісло 4", "name_en": "Chair 4", "kind": "infusion_chair"},
    )
    chair.refresh_from_db()
    assert not chair.is_active
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions == ["room.added", "room.changed"]


def test_a_duplicate_room_name_is_refused(admin_client, kyiv):
    Room.objects.create(site=kyiv, name="Кабінет 1", name_uk="Кабінет 1", kind="consulting")
    response = admin_client.post(
        "/staff/sites/kyiv/rooms/new/",
        {"name_uk": "Кабінет 1", "name_en": "Room 1", "kind": "consulting"},
    )
    assert response.status_code == 200
    assert Room.objects.filter(site=kyiv).count() == 1


def test_an_unknown_room_kind_is_refused(admin_client, kyiv):
    response = admin_client.post(
        "/staff/sites/kyiv/rooms/new/", {"name_uk": "X", "name_en": "X", "kind": "sauna"}
    )
    assert response.status_code == 200
    assert not Room.objects.exists()


def test_sites_page_query_count_does_not_grow(admin_client, kyiv, django_assert_max_num_queries):
    with django_assert_max_num_queries(30) as few:
        admin_client.get("/staff/sites/")
    for i in range(15):
        Room.objects.create(site=kyiv, name=f"R{i}", name_uk=f"R{i}", kind="consulting")
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get("/staff/sites/")


def test_a_map_link_must_be_a_web_address(admin_client, kyiv):
    response = admin_client.post(
        "/staff/sites/kyiv/edit/", site_post(map_url="javascript:alert(1)")
    )
    assert response.status_code == 200
    assert Site.objects.get(pk=kyiv.pk).map_url == ""


def test_the_street_address_is_shown_on_the_contacts_page_and_in_the_json_ld(client, kyiv):
    import json
    import re

    kyiv.address_uk, kyiv.address_en = "вул. Тестова, 5", "5 Testova St"
    kyiv.locality_uk, kyiv.locality_en, kyiv.postal_code = "Київ", "Kyiv", "01001"
    kyiv.save()
    page = client.get("/en/contacts/").content.decode()
    assert "5 Testova St, Kyiv, 01001" in page
    block = re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', page, re.S)
    clinics = json.loads(block.group(1))
    assert clinics[0]["address"] == {
        "@type": "PostalAddress",
        "streetAddress": "5 Testova St",
        "addressLocality": "Kyiv",
        "postalCode": "01001",
        "addressCountry": "UA",
    }
    assert "вул. Тестова, 5, Київ, 01001" in client.get("/uk/kontakty/").content.decode()
