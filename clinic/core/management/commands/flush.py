"""Django's flush, able to empty the append-only tables.

The test runner flushes the database between TransactionTestCase tests (browser tests among
them); the append-only triggers would refuse that. Emptying a whole database is an owner's act,
so lifting the triggers for its duration changes nothing the application role could do.
"""

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from clinic.core.append_only import append_only_tables, protect, unique_columns_of, unprotect


class Command(FlushCommand):
    def handle(self, **options):
        connection = connections[options["database"]]
        tables = [t for t in append_only_tables() if t in connection.introspection.table_names()]
        for table in tables:
            unprotect(connection, table)
        try:
            return super().handle(**options)
        finally:
            for table in tables:
                protect(connection, table, unique_columns_of(table))
