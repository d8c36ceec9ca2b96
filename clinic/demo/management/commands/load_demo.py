"""Create the demo centre: two sites, rooms and chairs, one user per role per site, patients.

Idempotent: running it again changes nothing that exists. Refuses to run with DEBUG off unless
`--force` is given, so a production database never receives demo logins by accident.
"""

from datetime import date, time

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.accounts.services import _set_roles_and_sites, ensure_roles
from clinic.assessments.demo import load_demo as load_assessments_demo
from clinic.billing.demo import load_billing_demo
from clinic.controlled_drugs.demo import load_demo as load_drug_register
from clinic.core.demo import (
    DEMO_PASSWORD,
    NEWCOMER_EMAIL,
    demo_email,
    demo_totp_secret,
)
from clinic.inquiries.models import Inquiry
from clinic.inquiries.services import current_consent, submit_inquiry
from clinic.locations.models import OpeningHours, Room, Site
from clinic.patients.demo import load_demo as load_patient_demo
from clinic.patients.models import Patient
from clinic.patients.services import register_patient
from clinic.portal.demo import demo_login as portal_demo_login
from clinic.portal.demo import load_demo as load_portal_demo
from clinic.portal.demo import trusted_demo_login
from clinic.scheduling.demo import load_demo as load_schedule
from clinic.treatment.demo import load_demo as load_treatment_demo
from clinic.website.demo_content import load_pages

SITES = [
    {
        "code": "kyiv",
        "name_uk": "Київ",
        "name_en": "Kyiv",
        # Plausible, and plainly not a real address.
        "address_uk": "вул. Демонстраційна, 1 (демо)",
        "address_en": "1 Demonstratsiina St (demo)",
        "locality_uk": "Київ",
        "locality_en": "Kyiv",
        "postal_code": "01001",
        "rooms": [
            ("Кабінет 1", "Consulting room 1", Room.Kind.CONSULTING),
            ("Кабінет 2", "Consulting room 2", Room.Kind.CONSULTING),
            ("Крісло 1", "Chair 1", Room.Kind.INFUSION_CHAIR),
            ("Крісло 2", "Chair 2", Room.Kind.INFUSION_CHAIR),
            ("Крісло 3", "Chair 3", Room.Kind.INFUSION_CHAIR),
            ("Кабінет ТЕС", "TES room", Room.Kind.TES),
        ],
    },
    {
        "code": "lviv",
        "name_uk": "Львів",
        "name_en": "Lviv",
        "address_uk": "вул. Показова, 10 (демо)",
        "address_en": "10 Pokazova St (demo)",
        "locality_uk": "Львів",
        "locality_en": "Lviv",
        "postal_code": "79000",
        "rooms": [
            ("Кабінет 1", "Consulting room 1", Room.Kind.CONSULTING),
            ("Крісло 1", "Chair 1", Room.Kind.INFUSION_CHAIR),
            ("Крісло 2", "Chair 2", Room.Kind.INFUSION_CHAIR),
            ("Кабінет ТЕС", "TES room", Room.Kind.TES),
        ],
    },
]
PHONE = "+380737308088"  # the centre's public number (seeds: "+380 7373 080 88")
PATIENTS = {
    "kyiv": [
        ("K-0001", "Коваленко", "Олена", "Петрівна", date(1988, 3, 14)),
        ("K-0002", "Шевчук", "Андрій", "Іванович", date(1979, 11, 2)),
        ("K-0003", "Бондар", "Ірина", "Олегівна", date(1995, 6, 30)),
    ],
    "lviv": [
        ("L-0001", "Мельник", "Тарас", "Богданович", date(1984, 1, 21)),
        ("L-0002", "Ткачук", "Софія", "Романівна", date(1992, 9, 8)),
    ],
}
DEMO_INQUIRIES = [
    ("Марія (демо)", "+380671112233", "postpartum", "kyiv"),
    ("Олег (демо)", "+380503334455", "trd", "kyiv"),
    ("Ірина (демо)", "+380935556677", "anxiety", "lviv"),
]
DISPLAY_NAMES = {
    Role.ADMINISTRATOR: "Адміністратор",
    Role.PHYSICIAN: "Лікар",
    Role.NURSE: "Медсестра",
    Role.PSYCHOTHERAPIST: "Психотерапевт",
    Role.RECEPTIONIST: "Реєстратор",
    Role.CASHIER: "Касир",
    Role.DRUG_OFFICER: "Відповідальний за наркотичні засоби",
    Role.CONTENT_EDITOR: "Редактор сайту",
}


class Command(BaseCommand):
    help = "Load the demo centre (Kyiv and Lviv) with demo users. Safe to run repeatedly."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")
        parser.add_argument("--quiet-logins", action="store_true", help="do not print logins")

    def handle(self, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("load_demo creates demo logins; run it with DEBUG on or --force.")
        with transaction.atomic():
            ensure_roles()
            system = User.objects.system_actor()
            sites = {spec["code"]: self.site(spec) for spec in SITES}
            logins = []
            for code, site in sites.items():
                for role in Role:
                    email = demo_email(role.value, code)
                    self.user(email, f"{DISPLAY_NAMES[role]} ({site.name_uk})", [role], [site])
                    logins.append((email, role.label, site.name_en))
            self.user(NEWCOMER_EMAIL, "Нова колега", [Role.NURSE], [sites["kyiv"]], totp=False)
            # One administrator who works at both sites, as the centre's manager would.
            self.user(
                demo_email("manager", "both"),
                "Керівник центру",
                [Role.ADMINISTRATOR, Role.PHYSICIAN],
                list(sites.values()),
            )
            for code, rows in PATIENTS.items():
                for number, family, given, patronymic, born in rows:
                    if not Patient.objects.filter(record_number=number).exists():
                        register_patient(
                            record_number=number,
                            family_name=family,
                            given_name=given,
                            patronymic=patronymic,
                            birth_date=born,
                            home_site=sites[code],
                            actor=system,
                        )
            load_pages(actor=system)
            load_drug_register(actor=system, sites=sites)
            load_schedule(actor=system, sites=sites)
            load_billing_demo(actor=system, sites=sites)
            load_patient_demo(actor=system, sites=sites)
            load_treatment_demo(actor=system, sites=sites)
            # Score histories join the courses of care the treatment demo approved.
            load_assessments_demo(actor=system, sites=sites)
            load_portal_demo(actor=system, sites=sites)
            if not Inquiry.objects.exists():
                for name, phone, topic, code in DEMO_INQUIRIES:
                    submit_inquiry(
                        data={
                            "name": name,
                            "phone": phone,
                            "email": "",
                            "site": sites[code],
                            "topic": topic,
                            "message": "",
                            "channel": "phone",
                        },
                        consent_version=current_consent().version,
                        language="uk",
                        ip=f"demo-{name}",
                        actor=system,
                    )
        if not options["quiet_logins"]:
            self.print_logins()

    def site(self, spec) -> Site:
        site, _ = Site.objects.get_or_create(
            code=spec["code"],
            defaults={
                "name": spec["name_uk"],
                "name_uk": spec["name_uk"],
                "name_en": spec["name_en"],
                "phone": PHONE,
                "email": f"reception.{spec['code']}@demo.clinic",
            },
        )
        if not site.address_uk:  # a demo database from before sites had addresses
            for field in ("address_uk", "address_en", "locality_uk", "locality_en", "postal_code"):
                setattr(site, field, spec[field])
            site.save()
        for weekday in range(1, 6):  # Mon-Fri 10:00-19:00 (seeds)
            OpeningHours.objects.get_or_create(
                site=site, weekday=weekday, defaults={"opens": time(10), "closes": time(19)}
            )
        for name_uk, name_en, kind in spec["rooms"]:
            Room.objects.get_or_create(
                site=site,
                name=name_uk,
                defaults={"name_uk": name_uk, "name_en": name_en, "kind": kind},
            )
        return site

    def user(self, email, full_name, roles, sites, *, totp=True) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email, full_name=full_name, password=DEMO_PASSWORD
            )
            EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
            _set_roles_and_sites(user, roles, sites)
            if totp:
                TOTP.activate(user, demo_totp_secret(email))
                RecoveryCodes.activate(user)
        elif (
            totp
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            TOTP.activate(user, demo_totp_secret(email))
        return user

    def print_logins(self):
        out = self.stdout.write
        out("")
        out("=" * 78)
        out("DEMO LOGINS: for trying the system on this machine only, never for real data")
        out("=" * 78)
        out(f"Password for every demo user: {DEMO_PASSWORD}")
        out("Second factor: add the TOTP secret to an authenticator app, or print the current")
        out("code with:  make code EMAIL=<e-mail>")
        out("")
        for site in ("kyiv", "lviv"):
            for role in Role:
                email = demo_email(role.value, site)
                out(f"  {email:38} {role.label:16} TOTP {demo_totp_secret(email)}")
        manager = demo_email("manager", "both")
        out(f"  {manager:38} {'admin+physician':16} TOTP {demo_totp_secret(manager)}")
        out(f"  {NEWCOMER_EMAIL:38} {'nurse, no TOTP':16} (sets up two-factor at first sign-in)")
        portal = portal_demo_login()
        if portal:
            out("")
            out(f"Patient portal: {settings.PUBLIC_BASE_URL}/uk/portal/  (demo patient K-0001)")
            out(f"  sign in with {portal}; the one-time code goes out as a development SMS,")
            out("  which the worker writes to var/worker.log ('SMS (development, not sent)')")
            trusted = trusted_demo_login()
            if trusted:
                out(f"  her trusted person (escort: visits, confirmations) signs in with {trusted}")
        out("=" * 78)
