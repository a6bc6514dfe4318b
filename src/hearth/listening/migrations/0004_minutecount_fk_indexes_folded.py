"""Drop MinuteCount's one-column foreign-key indexes: a composite index leads with each key.

Every ingested batch upserts its minute counters, and each index costs every row. As in
conversations 0007, Django's AlterField would rebuild the table on SQLite, so the state change
and the DROP INDEX are written separately; the index names are Django's, the same on both databases.
"""

import django.db.models.deletion
from django.db import migrations, models

FOLDED = [
    ("listening_minutecount", "channel_id", "listening_minutecount_channel_id_b95a9ac7"),
    ("listening_minutecount", "workspace_id", "listening_minutecount_workspace_id_68db7d4f"),
]


class Migration(migrations.Migration):

    dependencies = [
        ("channels", "0003_channel_kind_rss"),
        ("core", "0001_initial"),
        ("listening", "0003_alert_source"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")',
                )
                for table, column, name in FOLDED
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="minutecount",
                    name="channel",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                            related_name="+", to="channels.channel"),
                ),
                migrations.AlterField(
                    model_name="minutecount",
                    name="workspace",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                            related_name="+", to="core.workspace"),
                ),
            ],
        ),
    ]
