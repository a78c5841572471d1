"""User.username_key and User.email_key, nullable for now: 0003 fills them, 0004 makes them
unique and required (Django's recipe for adding a unique field to a table with rows)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("conduit", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="username_key",
            field=models.CharField(editable=False, max_length=1152, null=True),
        ),
        migrations.AddField(
            model_name="user",
            name="email_key",
            field=models.CharField(editable=False, max_length=762, null=True),
        ),
    ]
