from django.db import transaction
from django.utils import timezone

from clinic.core.audit import audit
from clinic.website.models import Page

FIELDS = [
    "section",
    "title_uk",
    "title_en",
    "slug_uk",
    "slug_en",
    "summary_uk",
    "summary_en",
    "body_uk",
    "body_en",
    "status",
    "publish_at",
    "position",
]


@transaction.atomic
def save_page(page: Page | None, *, data: dict, actor) -> Page:
    """Create or change a public page (both languages at once)."""
    created = page is None
    page = page or Page()
    for field in FIELDS:
        setattr(page, field, data[field])
    page.updated_at, page.updated_by = timezone.now(), actor
    page.save()
    audit(
        actor,
        "website.page.created" if created else "website.page.changed",
        obj=page,
        reason=f"{page.status}: {page.title_uk}"[:500],
    )
    return page
