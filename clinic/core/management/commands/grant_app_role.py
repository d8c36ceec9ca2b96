"""Give the application's PostgreSQL role what it needs, and no more.

Run by the owner role after every `migrate` (docs/deploy.md). The application role may read and
write ordinary tables but only SELECT and INSERT on append-only tables (the audit trail, later
the drug register): even with the application's credentials, history cannot be rewritten.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from clinic.core.append_only import append_only_tables


class Command(BaseCommand):
    help = "Grant the application role its privileges (PostgreSQL; run as the owner)."

    def add_arguments(self, parser):
        parser.add_argument("role", help="the PostgreSQL role the application connects as")

    def handle(self, role, **options):
        if connection.vendor != "postgresql":
            raise CommandError("grant_app_role applies to PostgreSQL only")
        quote = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                raise CommandError(f"role {role!r} does not exist; create it first")
            name = quote(role)
            cursor.execute(
                f"GRANT CONNECT ON DATABASE {quote(connection.settings_dict['NAME'])} TO {name}"
            )
            cursor.execute(f"GRANT USAGE ON SCHEMA public TO {name}")
            cursor.execute(
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name}"
            )
            cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {name}")
            for table in append_only_tables():
                cursor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {quote(table)} FROM {name}")
                self.stdout.write(f"{table}: SELECT and INSERT only")
        self.stdout.write(f"privileges granted to {role}")
