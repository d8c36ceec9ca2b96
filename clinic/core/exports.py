"""Files that leave the system: CSV for spreadsheets and PDF for printing.

Every export goes through here, so each gets the same two defences. A CSV cell cannot start a
formula (CSV injection: a spreadsheet would run `=HYPERLINK(...)` typed into a name field), and
a PDF is rendered without fetching any URL, so a crafted value cannot make the renderer read
files or call out (security.md §1).
"""

import csv
import logging
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.http import StreamingHttpResponse
from django.utils import translation
from django.utils.http import content_disposition_header

log = logging.getLogger(__name__)

# A spreadsheet reads text starting with one of these as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # without it, Excel reads UTF-8 Cyrillic as Windows-1251


class SpreadsheetDialect(csv.excel):
    """What Excel set up for Ukrainian expects: `;` between cells, since `,` is the decimal
    separator."""

    delimiter = ";"


def csv_cell(value) -> str:
    """One cell: numbers with a decimal comma, text that cannot start a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    # Numbers are ours, not typed text: a negative one is not a formula.
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal | float):
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        return f"{number:f}".replace(".", ",")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file-like object that hands each written line back, for streaming."""

    def write(self, value):
        return value


def csv_response(filename: str, header, rows) -> StreamingHttpResponse:
    """A CSV download, streamed row by row (`rows` may be a generator over a queryset)."""
    writer = csv.writer(_Echo(), dialect=SpreadsheetDialect)
    # The rows are produced while the response streams, after the view has returned; they
    # keep the language the request was answered in.
    language = translation.get_language()

    def lines():
        with translation.override(language):
            yield BOM + writer.writerow([csv_cell(v) for v in header])
            for row in rows:
                yield writer.writerow([csv_cell(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, _safe_name(filename))
    return response


def _safe_name(filename: str) -> str:
    # The name is ours, but may carry a site code or a date: no folders, no line breaks.
    name = filename.replace("/", "-").replace("\\", "-").replace("\r", "").replace("\n", "")
    return name.lstrip(".") or "export"


def _static_roots() -> list[Path]:
    roots = [Path(d).resolve() for d in settings.STATICFILES_DIRS]
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT).resolve())
    return roots


def _is_packaged_file(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return False
    path = Path(unquote(parts.path)).resolve()
    return any(path.is_relative_to(root) for root in _static_roots())


def _fetcher():
    from weasyprint.urls import URLFetcher

    class PackagedFilesOnly(URLFetcher):
        """Serves the project's own static files and inline `data:` URLs; refuses the rest."""

        def __init__(self):
            super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)

        def fetch(self, url, headers=None):
            if url.lower().startswith("data:") or _is_packaged_file(url):
                return super().fetch(url, headers)
            log.warning("PDF rendering refused to fetch %s", url[:200])
            raise ValueError(f"external resource refused: {url[:60]}")

    return PackagedFilesOnly()


def render_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """Render HTML to PDF without fetching anything from the network or outside the static
    files. Relative references resolve against the packaged static directory."""
    from weasyprint import HTML  # heavy; loaded only when a PDF is asked for

    if base_url is None:
        base_url = Path(settings.STATICFILES_DIRS[0]).resolve().as_uri() + "/"
    return HTML(string=html, base_url=base_url, url_fetcher=_fetcher()).write_pdf()
