"""The staff menu: entries that apps register, filtered by the policy each linked view declares.

`core` is the ground floor and knows no app above it, so it cannot list their pages itself.
Each app registers its own entries from `AppConfig.ready()`; `position` orders the menu
across apps (gaps of ten leave room for new entries).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.conf import settings
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


# user id -> (moment the counts were taken, {url name: count}). Per process; see _counts_for.
_counts: dict[int, tuple[float, dict[str, int]]] = {}


def forget_counts() -> None:
    _counts.clear()


def _counts_for(user, entries: list[MenuEntry]) -> dict[str, int]:
    # The counters (new inquiries, open alerts, waitlist) cost a query each. A number beside a
    # menu label may lag a few seconds (NAV_COUNTER_SECONDS), so they are counted once per
    # user per that many seconds in each process, not on every page and htmx part.
    now = time.monotonic()
    taken = _counts.get(user.pk)
    if taken is not None and now - taken[0] < settings.NAV_COUNTER_SECONDS:
        return taken[1]
    counts = {entry.url_name: entry.counter(user) for entry in entries}
    if len(_counts) > 1000:  # forget the stale ones rather than grow without bound
        for user_id in [u for u, (at, _) in _counts.items() if now - at >= 60]:
            del _counts[user_id]
    _counts[user.pk] = (now, counts)
    return counts


def navigation_for(user) -> list[dict]:
    allowed = [
        (entry, url) for entry, url, policy in _resolved() if policy.allows_role(user.role_names)
    ]
    counts = _counts_for(user, [entry for entry, _url in allowed if entry.counter])
    return [
        {
            "name": entry.url_name,
            "url": url,
            "label": entry.label,
            "count": counts.get(entry.url_name),
        }
        for entry, url in allowed
    ]
