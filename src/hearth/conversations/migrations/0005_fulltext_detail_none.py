"""Rebuild the SQLite full-text index without token positions (detail=none).

search.py only asks for words and a final prefix, never phrases, so positions were paid for on
every insert and never used. PostgreSQL's GIN index is unchanged.
"""

from django.db import migrations

from hearth.conversations.migrations._fts_sql import SQLITE_BACKWARD, SQLITE_FORWARD


def rebuild(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in [*SQLITE_BACKWARD, *SQLITE_FORWARD]:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("conversations", "0004_fulltext")]

    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop)]
