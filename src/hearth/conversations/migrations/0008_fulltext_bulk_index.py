"""SQLite: index an ingested batch in one statement instead of one trigger call per message.

See _fts_sql.SQLITE_BULK_FORWARD. PostgreSQL's GIN index is unchanged.
"""

from django.db import migrations

from hearth.conversations.migrations._fts_sql import SQLITE_BULK_BACKWARD, SQLITE_BULK_FORWARD


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_BULK_FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_BULK_BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("conversations", "0007_fk_indexes_folded_into_composites")]

    operations = [migrations.RunPython(forward, backward)]
