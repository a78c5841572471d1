"""User.username_key and User.email_key become required and unique: the database, not only
the application's check, keeps one account per spelling of a name or an email."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("conduit", "0003_fill_user_keys")]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="username_key",
            field=models.CharField(editable=False, max_length=1152, unique=True),
        ),
        migrations.AlterField(
            model_name="user",
            name="email_key",
            field=models.CharField(editable=False, max_length=762, unique=True),
        ),
    ]
