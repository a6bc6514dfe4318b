# Alerts, their destinations and deliveries moved to notify (and the outbox): their rows were
# copied by notify 0002, so the tables go.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("listening", "0004_minutecount_fk_indexes_folded"),
        ("notify", "0002_copy_from_listening"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="alertdelivery",
            name="alert",
        ),
        migrations.RemoveField(
            model_name="alertdelivery",
            name="destination",
        ),
        migrations.RemoveField(
            model_name="alertdestination",
            name="workspace",
        ),
        migrations.RemoveField(
            model_name="listeningsettings",
            name="quiet_period_minutes",
        ),
        migrations.DeleteModel(
            name="Alert",
        ),
        migrations.DeleteModel(
            name="AlertDelivery",
        ),
        migrations.DeleteModel(
            name="AlertDestination",
        ),
    ]
