"""Weekly roll-ups of each author's messages (the profile's sentiment trend), filled from the
messages already stored."""

from datetime import UTC

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, Sum
from django.db.models.functions import TruncWeek


def fill_weeks(apps, schema_editor):
    Message = apps.get_model("conversations", "Message")
    AuthorWeek = apps.get_model("community", "AuthorWeek")
    rows = (
        Message.objects.filter(removed_at__isnull=True)
        .annotate(week=TruncWeek("created_at", tzinfo=UTC))
        .values("workspace_id", "author_id", "week")
        .annotate(n=Count("pk"), score=Sum("sentiment_score"))
        .order_by()
    )
    batch = []
    for r in rows.iterator(chunk_size=5000):
        week = r["week"].date() if hasattr(r["week"], "date") else r["week"]
        batch.append(
            AuthorWeek(
                workspace_id=r["workspace_id"],
                author_id=r["author_id"],
                week=week,
                messages=r["n"],
                score_sum=r["score"] or 0.0,
            )
        )
        if len(batch) >= 5000:
            AuthorWeek.objects.bulk_create(batch)
            batch = []
    AuthorWeek.objects.bulk_create(batch)


class Migration(migrations.Migration):

    dependencies = [
        ('community', '0004_shape_audience_source'),
        ('conversations', '0016_removal_tombstone'),
        ('core', '0003_merge_0002_heartbeat_0002_scoped_tokens_invitations'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuthorWeek',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('week', models.DateField()),
                ('messages', models.IntegerField(default=0)),
                ('score_sum', models.FloatField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name='authorweek',
            name='author',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='conversations.author'),
        ),
        migrations.AddField(
            model_name='authorweek',
            name='workspace',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='core.workspace'),
        ),
        migrations.AddConstraint(
            model_name='authorweek',
            constraint=models.UniqueConstraint(fields=('author', 'week'), name='author_week_unique'),
        ),
        migrations.RunPython(fill_weeks, migrations.RunPython.noop),
    ]
