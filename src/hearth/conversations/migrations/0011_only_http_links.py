"""Links stored before normalisation kept only http(s) ones (no `javascript:` in a page)."""

from django.db import migrations


def drop_unsafe_links(apps, schema_editor):
    Message = apps.get_model("conversations", "Message")
    (
        Message.objects.exclude(url="")
        .exclude(url__istartswith="http://")
        .exclude(url__istartswith="https://")
        .update(url="")
    )


class Migration(migrations.Migration):
    dependencies = [("conversations", "0010_handoff_secret")]
    operations = [migrations.RunPython(drop_unsafe_links, migrations.RunPython.noop)]
