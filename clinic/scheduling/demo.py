"""The demo set of visit types, practitioners' hours and a few weeks of bookings at both sites.

Visit types are clinic configuration: administrators change them in the staff pages. The
durations below are the clinic's defaults, not clinical rules: the infusion's 150 minutes
come from the centre's own description of the visit (0.5 mg/kg over 40 min plus monitoring
and recovery, domain.md §3.3-3.6); TES sessions of about 20-30 minutes are typical
(domain.md §4, [R73]); preparation and clearing-up times are the centre's practice.
"""

from datetime import time, timedelta

from django.contrib.auth.models import Group

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.locations.models import Room
from clinic.patients.models import Patient
from clinic.scheduling import services
from clinic.scheduling.availability import find_slots
from clinic.scheduling.models import Appointment, VisitType, WaitlistEntry, WorkingHours

# code, Ukrainian name, English name, minutes, before, after, roles, room kind, physician on
# site, who may book
VISIT_TYPES = [
    ("first_consultation", "Первинна консультація", "First consultation", 60, 0, 10,
     [Role.PHYSICIAN], Room.Kind.CONSULTING, False, VisitType.Booking.ONLINE_REQUEST),
    ("follow_up", "Повторна консультація", "Follow-up consultation", 30, 0, 10,
     [Role.PHYSICIAN], Room.Kind.CONSULTING, False, VisitType.Booking.ONLINE_REQUEST),
    ("ketamine_infusion", "Кетамінова інфузія", "Ketamine infusion", 150, 15, 15,
     [Role.NURSE], Room.Kind.INFUSION_CHAIR, True, VisitType.Booking.STAFF_ONLY),
    ("tes_session", "Сеанс ТЕС", "TES session", 30, 5, 10,
     [Role.NURSE, Role.PHYSICIAN], Room.Kind.TES, False, VisitType.Booking.STAFF_ONLY),
    ("psychotherapy", "Сеанс психотерапії", "Psychotherapy session", 50, 0, 10,
     [Role.PSYCHOTHERAPIST], Room.Kind.CONSULTING, False, VisitType.Booking.ONLINE_REQUEST),
    ("integration", "Інтеграційна сесія", "Integration session", 60, 0, 10,
     [Role.PSYCHOTHERAPIST], Room.Kind.CONSULTING, False, VisitType.Booking.STAFF_ONLY),
    ("body_oriented", "Тілесно-орієнтована сесія", "Body-oriented session", 60, 0, 10,
     [Role.PSYCHOTHERAPIST], Room.Kind.CONSULTING, False, VisitType.Booking.ONLINE_REQUEST),
]  # fmt: skip


def ensure_visit_types() -> None:
    """Create the demo visit types that do not exist yet (existing ones are left as edited)."""
    for position, row in enumerate(VISIT_TYPES):
        code, name_uk, name_en, minutes, before, after, roles, kind, physician, booking = row
        visit_type, created = VisitType.objects.get_or_create(
            code=code,
            defaults={
                "name": name_uk,
                "name_uk": name_uk,
                "name_en": name_en,
                "duration_minutes": minutes,
                "buffer_before_minutes": before,
                "buffer_after_minutes": after,
                "room_kind": kind,
                "needs_physician_on_site": physician,
                "booking": booking,
                "position": position,
            },
        )
        if created:
            visit_type.practitioner_roles.set(Group.objects.filter(name__in=roles))


def load_demo(*, actor, sites) -> None:
    """Hours for the demo practitioners, a few weeks of bookings, a series, a waitlist entry.

    Idempotent: nothing is added once the demo bookings exist.
    """
    from django.utils import timezone

    ensure_visit_types()
    practitioners = User.objects.filter(
        groups__name__in=[Role.PHYSICIAN, Role.NURSE, Role.PSYCHOTHERAPIST],
        email__endswith="@demo.clinic",
    ).distinct()
    for person in practitioners:
        for site in person.sites.all():
            if site not in sites.values():
                continue
            if WorkingHours.objects.filter(practitioner=person, site=site).exists():
                continue
            # The centre's working day (seeds: Mon-Fri 10:00-19:00).
            services.set_working_hours(
                person,
                site,
                spans={weekday: [(time(10), time(19))] for weekday in range(1, 6)},
                actor=actor,
            )
    if Appointment.objects.exists():
        return
    today = timezone.localdate()
    plan = [
        "first_consultation",
        "follow_up",
        "psychotherapy",
        "tes_session",
        "integration",
        "body_oriented",
        "follow_up",
    ]
    for site in sites.values():
        patients = list(Patient.objects.filter(home_site=site).order_by("record_number"))
        if not patients:
            continue
        # About three weeks of ordinary visits, two a day, morning and afternoon.
        for offset in range(1, 22):
            day = today + timedelta(days=offset)
            if day.isoweekday() > 5:
                continue
            for n in range(2):
                patient = patients[(offset * 2 + n) % len(patients)]
                visit_type = VisitType.objects.get(code=plan[(offset + n) % len(plan)])
                slots = find_slots(
                    visit_type,
                    sites=[site],
                    first_day=day,
                    last_day=day,
                    patient=patient,
                    limit=1 + 12 * n,
                )
                if slots:
                    slot = slots[-1]
                    services.book_appointment(
                        patient,
                        visit_type=visit_type,
                        site=site,
                        starts_at=slot.starts_at,
                        practitioner=slot.practitioner,
                        room=slot.room,
                        actor=actor,
                    )
        infusion = VisitType.objects.get(code="ketamine_infusion")
        first = find_slots(
            infusion,
            sites=[site],
            first_day=today + timedelta(days=2),
            last_day=today + timedelta(days=9),
            patient=patients[0],
            limit=1,
        )
        if first:
            slot = first[0]
            plan_ = services.plan_series(
                patients[0],
                visit_type=infusion,
                site=site,
                first_start=slot.starts_at,
                practitioner=slot.practitioner,
                room=slot.room,
                count=6,
                weekdays={1, 4},
            )
            chosen = [
                (o.starts_at, o.practitioner, o.room)
                if not o.problem
                else (
                    o.alternatives[0].starts_at,
                    o.alternatives[0].practitioner,
                    o.alternatives[0].room,
                )
                for o in plan_
                if not o.problem or o.alternatives
            ]
            if len(chosen) >= 2:
                services.book_series(
                    patients[0], visit_type=infusion, site=site, occurrences=chosen, actor=actor
                )
        if len(patients) > 1 and not WaitlistEntry.objects.filter(site=site).exists():
            services.add_to_waitlist(
                patients[-1],
                visit_type=infusion,
                site=site,
                earliest_on=today,
                latest_on=today + timedelta(days=21),
                priority=WaitlistEntry.Priority.HIGH,
                note="Демо: хоче раніше",
                actor=actor,
            )
