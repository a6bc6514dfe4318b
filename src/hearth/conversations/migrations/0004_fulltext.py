"""Full-text search of message text with the database's own engine (see search.py).

SQLite: an FTS5 external-content table over conversations_message(text), kept in sync by
triggers. PostgreSQL: a GIN index on to_tsvector('simple', text). Each part runs only on its
database, so one migration history serves both.
"""

from django.db import migrations

from hearth.conversations.migrations._fts_sql import (
    POSTGRES_BACKWARD,
    POSTGRES_FORWARD,
    SQLITE_BACKWARD,
    SQLITE_FORWARD,
)


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("conversations", "0003_inbox")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
