"""Whether a session note's summary has been released to the patient.

The portal keeps the summaries (it sits above treatment and may not be imported from here),
so it hands its reader down in `PortalConfig.ready()`:

    summaries.provide_reader(summary_states)

The reader takes note ids and returns `{note_id: summary}` (objects with `is_released`,
`released_at`); without a reader no note has a summary and the pages say nothing about it.
"""

from collections.abc import Callable, Iterable

_reader: Callable | None = None


def provide_reader(reader: Callable) -> None:
    global _reader
    _reader = reader


def available() -> bool:
    return _reader is not None


def summaries_of(note_ids: Iterable[int]) -> dict:
    """Each listed note's summary for the patient, if one was written (one query)."""
    ids = [i for i in note_ids if i is not None]
    if _reader is None or not ids:
        return {}
    return _reader(ids)
