"""The staff menu: entries that apps register, filtered by the policy each linked view declares.

`core` is the ground floor and knows no app above it, so it cannot list their pages itself.
Each app registers its own entries from `AppConfig.ready()`; `position` orders the menu
across apps (gaps of ten leave room for new entries).
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.urls import resolve, reverse


@dataclass(frozen=True)
class MenuEntry:
    url_name: str
    label: str
    position: int
    # A number shown beside the label (new inquiries, open alerts): a function of the user.
    counter: Callable | None = None


_entries: dict[str, MenuEntry] = {}


def register(url_name: str, label, *, position: int, counter: Callable | None = None) -> None:
    """Add one page to the staff menu. Registering a URL name again replaces its entry."""
    _entries[url_name] = MenuEntry(url_name, label, position, counter)
    _resolved.cache_clear()


def entries() -> list[MenuEntry]:
    return sorted(_entries.values(), key=lambda entry: (entry.position, entry.url_name))


@cache
def _resolved() -> list[tuple[MenuEntry, str, object]]:
    # The URLs and their policies do not change while the process runs: resolve them once,
    # not once per menu entry on every request.
    resolved = []
    for entry in entries():
        url = reverse(entry.url_name)
        resolved.append((entry, url, resolve(url).func.access_policy))
    return resolved


def navigation_for(user) -> list[dict]:
    items = []
    for entry, url, policy in _resolved():
        if policy.allows_role(user.role_names):
            count = entry.counter(user) if entry.counter else None
            items.append({"name": entry.url_name, "url": url, "label": entry.label, "count": count})
    return items
