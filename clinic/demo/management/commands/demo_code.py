import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from clinic.core.demo import DEMO_DOMAIN, demo_totp_secret


class Command(BaseCommand):
    help = "Print the current one-time code of a demo user (demo accounts only)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, email, **options):
        if not email.endswith(f"@{DEMO_DOMAIN}"):
            raise CommandError("only demo accounts have a known secret")
        if not settings.DEBUG:
            raise CommandError("demo codes are only printed with DEBUG on")
        counter = int(time.time() // 30)  # the current step, as an authenticator app shows it
        self.stdout.write(format_hotp_value(hotp_value(demo_totp_secret(email), counter)))
