"""The centre's public pages as shipped (clinic/website/content/<language>/<name>.md).

Each file has a small header (section, slug, position, title, summary), a line `---`, and the
Markdown body. The Ukrainian and English files of one page share a name. `load_demo` loads
them; afterwards content editors change pages in the staff area, not these files.
"""

from pathlib import Path

from clinic.website import services
from clinic.website.models import Page

CONTENT = Path(__file__).resolve().parent / "content"


def read_page(path: Path) -> dict:
    header, body = path.read_text(encoding="utf-8").split("\n---\n", 1)
    fields = {}
    for line in header.strip().splitlines():
        key, value = line.split(":", 1)
        fields[key.strip()] = value.strip().strip('"')
    fields["body"] = body.strip() + "\n"
    return fields


def shipped_pages() -> list[dict]:
    pages = []
    for uk_file in sorted((CONTENT / "uk").glob("*.md")):
        uk, en = read_page(uk_file), read_page(CONTENT / "en" / uk_file.name)
        if uk["section"] != en["section"]:
            raise ValueError(f"{uk_file.name}: the two languages disagree on the section")
        pages.append(
            {
                "section": uk["section"],
                "position": int(uk["position"]),
                "status": Page.Status.PUBLISHED,
                "publish_at": None,
                **{
                    f"{field}_{language}": page[field]
                    for language, page in (("uk", uk), ("en", en))
                    for field in ("title", "slug", "summary", "body")
                },
            }
        )
    return pages


def load_pages(*, actor) -> int:
    """Create the shipped pages that do not exist yet; returns how many were created."""
    created = 0
    for data in shipped_pages():
        if not Page.objects.filter(section=data["section"], slug_uk=data["slug_uk"]).exists():
            services.save_page(None, data=data, actor=actor)
            created += 1
    return created
