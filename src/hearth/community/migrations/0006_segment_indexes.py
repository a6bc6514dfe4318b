"""One partial index per segment: the member list filtered by a segment walks its members only,
most recently seen first."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0005_author_weeks"),
    ]

    operations = [
        migrations.AddIndex(
            model_name='member',
            index=models.Index(condition=models.Q(('is_creator', True)), fields=['workspace', '-last_seen_at'], name='member_ws_creator'),
        ),
        migrations.AddIndex(
            model_name='member',
            index=models.Index(condition=models.Q(('is_contributor', True)), fields=['workspace', '-last_seen_at'], name='member_ws_contributor'),
        ),
        migrations.AddIndex(
            model_name='member',
            index=models.Index(condition=models.Q(('is_newcomer', True)), fields=['workspace', '-last_seen_at'], name='member_ws_newcomer'),
        ),
        migrations.AddIndex(
            model_name='member',
            index=models.Index(condition=models.Q(('is_champion', True)), fields=['workspace', '-last_seen_at'], name='member_ws_champion'),
        ),
        migrations.AddIndex(
            model_name='member',
            index=models.Index(condition=models.Q(('is_at_risk', True)), fields=['workspace', '-last_seen_at'], name='member_ws_at_risk'),
        ),
        migrations.AddIndex(
            model_name='member',
            index=models.Index(condition=models.Q(('is_influencer', True)), fields=['workspace', '-last_seen_at'], name='member_ws_influencer'),
        ),
    ]
