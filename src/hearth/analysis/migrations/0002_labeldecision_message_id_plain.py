# LabelDecision.message stops being a foreign key to conversations.Message (analysis imports no
# domain app) and becomes a plain `message_id`. The column keeps its name and its values: only
# the foreign-key constraint goes. A plain RemoveField/AddField would have dropped the ids.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("analysis", "0001_initial"),
    ]

    operations = [
        # The foreign key becomes an integer on the same column: the constraint is dropped, the
        # values and the index stay (SQLite rebuilds the table and copies the rows).
        migrations.AlterField(
            model_name="labeldecision",
            name="message",
            field=models.BigIntegerField(blank=True, db_column="message_id", db_index=True, null=True),
        ),
        # The field takes the column's name; the column itself is not touched.
        migrations.RenameField(
            model_name="labeldecision",
            old_name="message",
            new_name="message_id",
        ),
        migrations.AlterField(
            model_name="labeldecision",
            name="message_id",
            field=models.BigIntegerField(blank=True, db_index=True, null=True),
        ),
    ]
