import pytest

from clinic.accounts.roles import Role
from clinic.core.models import AuditEvent
from clinic.website.markup import render_markdown
from clinic.website.models import Page

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client, users):
    client.force_login(users[(Role.CONTENT_EDITOR, "kyiv")])
    return client


def page_post(**overrides):
    data = {
        "section": "article",
        "title_uk": "Нова стаття",
        "title_en": "A new article",
        "slug_uk": "nova-stattia",
        "slug_en": "a-new-article",
        "summary_uk": "Коротко.",
        "summary_en": "In short.",
        "body_uk": "## Розділ\n\nТекст.",
        "body_en": "## Part\n\nText.",
        "status": "published",
        "publish_at": "",
        "position": "5",
    }
    data.update(overrides)
    return data


def test_editor_publishes_an_article_in_both_languages(editor, client):
    response = editor.post("/staff/content/new/", page_post())
    assert response.status_code == 302
    page = Page.objects.get()
    assert (page.title_uk, page.title_en, page.slug_en) == (
        "Нова стаття",
        "A new article",
        "a-new-article",
    )
    assert AuditEvent.objects.filter(action="website.page.created").count() == 1
    assert client.get("/en/articles/a-new-article/").status_code == 200
    assert client.get("/uk/statti/nova-stattia/").status_code == 200


def test_a_draft_can_be_previewed_by_the_editor_only(editor, users):
    editor.post("/staff/content/new/", page_post(status="draft"))
    page = Page.objects.get()
    preview = editor.get(f"/staff/content/{page.public_id}/preview/en/")
    assert preview.status_code == 200
    assert "A new article" in preview.content.decode()
    assert "Preview" in preview.content.decode()
    editor.logout()
    assert editor.get("/en/articles/a-new-article/").status_code == 404
    editor.force_login(users[(Role.PHYSICIAN, "kyiv")])
    assert editor.get(f"/staff/content/{page.public_id}/preview/en/").status_code == 403


def test_a_scheduled_page_appears_when_its_time_comes(editor, client):
    import time_machine

    editor.post("/staff/content/new/", page_post(publish_at="2030-01-01T09:00"))
    assert client.get("/en/articles/a-new-article/").status_code == 404
    with time_machine.travel("2030-01-01 09:01 +02:00"):
        assert client.get("/en/articles/a-new-article/").status_code == 200


def test_a_duplicate_address_in_a_section_is_refused(editor):
    editor.post("/staff/content/new/", page_post())
    response = editor.post("/staff/content/new/", page_post(slug_uk="insha-adresa"))
    assert response.status_code == 200
    assert response.context["form"].errors["slug_en"]
    assert Page.objects.count() == 1


@pytest.mark.parametrize(
    "field,value",
    [("slug_en", "Not A Slug!"), ("title_en", ""), ("section", "blog"), ("position", "-1")],
)
def test_bad_input_is_refused_and_nothing_saved(editor, field, value):
    response = editor.post("/staff/content/new/", page_post(**{field: value}))
    assert response.status_code == 200
    assert not Page.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="website.").exists()


def test_editing_keeps_the_page_and_audits_the_change(editor):
    editor.post("/staff/content/new/", page_post())
    page = Page.objects.get()
    editor.post(f"/staff/content/{page.public_id}/", page_post(title_en="Renamed"))
    page.refresh_from_db()
    assert page.title_en == "Renamed" and page.title_uk == "Нова стаття"
    assert AuditEvent.objects.filter(action="website.page.changed").count() == 1


def test_markdown_is_sanitised():
    html = render_markdown(
        "Hi <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)> "
        '<a href="https://example.org" onclick="evil()">ok</a>\n\n## Title'
    )
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html
    assert "onclick" not in html and "<img" not in html
    assert "<h2>Title</h2>" in html


def test_only_content_editors_manage_pages(client, users):
    client.force_login(users[(Role.ADMINISTRATOR, "kyiv")])
    assert client.get("/staff/content/").status_code == 403
    response = client.post("/staff/content/new/", page_post())
    assert response.status_code == 403
    assert not Page.objects.exists()
