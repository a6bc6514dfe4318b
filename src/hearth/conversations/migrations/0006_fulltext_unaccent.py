"""Ignore accents in PostgreSQL's full-text index, as SQLite's FTS5 does (remove_diacritics).

PostgreSQL's 'simple' configuration keeps accents, so "genial" did not find "génial". The GIN
index moves to to_tsvector('simple', hearth_unaccent(text)), and search.py folds the query's
words with the same function. hearth_unaccent wraps the unaccent extension: unaccent() is only
STABLE (it finds its dictionary through the search path) and an index needs an IMMUTABLE
expression, so the wrapper names the dictionary with its schema and is declared IMMUTABLE.
That promise holds while the server's unaccent.rules stay the same: should an upgrade of
PostgreSQL change them, `REINDEX INDEX msg_text_fts_unaccent`. SQLite: nothing to do.
"""

from django.core.management.base import CommandError
from django.db import DatabaseError, migrations

from hearth.conversations.migrations._fts_sql import POSTGRES_BACKWARD, POSTGRES_FORWARD

INDEX = "msg_text_fts_unaccent"


def _require_unaccent(schema_editor) -> str:
    """The (quoted) schema of the unaccent extension, created here if the server ships it.

    Checked before anything changes. CommandError, because `migrate` prints its message alone
    instead of a traceback: whoever upgrades needs the fix, not the stack.
    """
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'unaccent'")
        if cursor.fetchone() is None:
            cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'")
            if cursor.fetchone() is None:
                raise CommandError(
                    "Full-text search needs PostgreSQL's unaccent extension, which is not installed "
                    "on the database server. Install PostgreSQL's contrib modules there (the "
                    "postgresql-contrib package on most Linux distributions), then run "
                    "`hearth migrate` again."
                )
            try:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
            except DatabaseError as exc:
                raise CommandError(
                    f"Full-text search needs PostgreSQL's unaccent extension, and this database user "
                    f"could not create it ({str(exc).strip().splitlines()[0]}). Ask a PostgreSQL superuser to run "
                    f"`CREATE EXTENSION unaccent;` in the database {connection.settings_dict['NAME']}, "
                    f"then run `hearth migrate` again."
                ) from exc
        # Hosted PostgreSQL often keeps extensions in a schema of their own: use it where it is.
        cursor.execute("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent'")
        return cursor.fetchone()[0]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema = _require_unaccent(schema_editor)
    dictionary = f"{schema}.unaccent".replace("'", "''")
    schema_editor.execute(
        "CREATE OR REPLACE FUNCTION hearth_unaccent(text) RETURNS text "
        "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
        f"AS $func$SELECT {schema}.unaccent('{dictionary}'::regdictionary, $1)$func$"
    )
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON conversations_message "
        "USING GIN (to_tsvector('simple', hearth_unaccent(text)))"
    )
    for sql in POSTGRES_BACKWARD:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in POSTGRES_FORWARD:
        schema_editor.execute(sql)
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute("DROP FUNCTION IF EXISTS hearth_unaccent(text)")
    # The extension stays: it may have been there before this migration, and other objects in
    # the database may use it.


class Migration(migrations.Migration):
    dependencies = [("conversations", "0005_fulltext_detail_none")]

    operations = [migrations.RunPython(forward, backward)]
