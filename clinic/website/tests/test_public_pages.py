import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from clinic.accounts.models import User
from clinic.website import demo_content
from clinic.website.models import Page

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(db):
    demo_content.load_pages(actor=User.objects.system_actor())
    return Page.objects.all()


def url(name, language, **kwargs):
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


def test_every_shipped_page_has_both_languages(shipped):
    assert shipped.count() == 15
    assert {p.section for p in shipped} == {"condition", "method", "article"}
    for page in shipped:
        for field in ("title", "slug", "summary", "body"):
            assert getattr(page, f"{field}_uk") and getattr(page, f"{field}_en"), (page, field)
        assert page.slug_uk != page.slug_en


@pytest.mark.parametrize("language", ["uk", "en"])
def test_every_published_page_opens_in_both_languages(client, shipped, kyiv, language):
    for page in shipped:
        response = client.get(page.url_in(language))
        assert response.status_code == 200, page.url_in(language)
        assert f'lang="{language}"' in response.content.decode()
        assert getattr(page, f"title_{language}") in response.content.decode()


@pytest.mark.parametrize(
    "name",
    [
        "website:home",
        "website:conditions",
        "website:methods",
        "website:articles",
        "website:contacts",
    ],
)
@pytest.mark.parametrize("language", ["uk", "en"])
def test_fixed_pages_open_and_are_linked_from_the_navigation(client, shipped, kyiv, name, language):
    response = client.get(url(name, language))
    assert response.status_code == 200
    home = client.get(url("website:home", language)).content.decode()
    assert f'href="{url(name, language)}"' in home


def test_the_articles_are_there_in_full(client, shipped):
    page = client.get(
        url("website:article", "en", slug="postpartum-depression-and-ketamine-therapy")
    )
    text = page.content.decode()
    assert "house of cards" in text and "psychotherapy is needed" in text


def test_drafts_and_scheduled_pages_are_hidden_from_visitors(client, shipped):
    draft = Page.objects.get(slug_en="phobias")
    draft.status = Page.Status.DRAFT
    draft.save()
    scheduled = Page.objects.get(slug_en="ptsd")
    scheduled.publish_at = timezone.now() + timedelta(days=1)
    scheduled.save()
    for page in (draft, scheduled):
        assert client.get(page.url_in("en")).status_code == 404
    listing = client.get(url("website:conditions", "en")).content.decode()
    assert "Phobias" not in listing and "Post-traumatic" not in listing
    scheduled.publish_at = timezone.now() - timedelta(minutes=1)
    scheduled.save()
    assert client.get(scheduled.url_in("en")).status_code == 200


def test_a_slug_of_the_other_language_is_not_found(client, shipped):
    assert client.get("/en/conditions/pisliapolohova-depresiia/").status_code == 404


def test_the_language_switch_keeps_the_page_with_its_own_slug(client, shipped):
    page = Page.objects.get(slug_en="postpartum-depression")
    html = client.get(page.url_in("uk")).content.decode()
    assert f'name="next" value="{page.url_in("en")}"' in html
    response = client.post("/i18n/setlang/", {"language": "en", "next": page.url_in("en")})
    assert response["Location"] == page.url_in("en")


def test_pages_declare_canonical_and_hreflang_alternates(client, shipped):
    page = Page.objects.get(slug_en="treatment-resistant-depression")
    html = client.get(page.url_in("uk")).content.decode()
    assert f'<link rel="canonical" href="http://testserver{page.url_in("uk")}">' in html
    assert f'hreflang="en" href="http://testserver{page.url_in("en")}"' in html
    assert f'hreflang="x-default" href="http://testserver{page.url_in("uk")}"' in html
    assert '<meta property="og:title" content="Терапевтично резистентна депресія">' in html


def test_contacts_and_home_carry_medical_clinic_json_ld(client, shipped, kyiv):
    from datetime import time

    kyiv.opening_hours.create(weekday=1, opens=time(10), closes=time(19))
    html = client.get(url("website:contacts", "en")).content.decode()
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    data = json.loads(raw)
    assert data[0]["@type"] == "MedicalClinic"
    assert data[0]["telephone"] == "+380737308088"
    assert data[0]["openingHoursSpecification"] == [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": "Monday",
            "opens": "10:00",
            "closes": "19:00",
        }
    ]


def test_json_ld_cannot_break_out_of_its_script(client, shipped, kyiv):
    kyiv.name_en = "</script><script>alert(1)</script>"
    kyiv.save()
    html = client.get(url("website:contacts", "en")).content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block


def test_the_sitemap_lists_pages_in_both_languages_with_alternates(client, shipped):
    xml = client.get("/sitemap.xml").content.decode()
    page = Page.objects.get(
        slug_en="tes"
        if Page.objects.filter(slug_en="tes").exists()
        else "transcranial-electrical-stimulation"
    )
    assert f"http://testserver{page.url_in('uk')}" in xml
    assert f"http://testserver{page.url_in('en')}" in xml
    assert 'hreflang="x-default"' in xml
    draft = Page.objects.get(slug_en="phobias")
    draft.status = Page.Status.DRAFT
    draft.save()
    assert draft.url_in("en") not in client.get("/sitemap.xml").content.decode()


def test_robots_keeps_crawlers_out_of_the_staff_area(client):
    text = client.get("/robots.txt").content.decode()
    assert "Disallow: /staff/" in text and "Sitemap: http://testserver/sitemap.xml" in text


def test_the_footer_shows_the_licences_on_every_public_page(client, shipped):
    for name in ("website:home", "website:contacts", "contact:form"):
        assert "1443" in client.get(url(name, "uk")).content.decode()


def test_public_pages_load_no_scripts_from_anywhere(client, shipped):
    html = client.get(url("website:home", "en")).content.decode()
    assert "<script src" not in html
    assert "http://" not in re.sub(r'(href|content)="http://testserver[^"]*"', "", html)


def test_a_missing_public_page_gets_the_public_404_in_its_language(client, kyiv):
    response = client.get("/en/conditions/no-such-thing/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'lang="en"' in html and "Page not found" in html and "1443" in html
