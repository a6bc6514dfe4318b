"""PersonLink is gone: community's migration 0002 turned every link into a member's identity."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0001_initial"),
        ("community", "0002_person_links_into_members"),
    ]

    operations = [
        migrations.DeleteModel(
            name="PersonLink",
        ),
    ]
