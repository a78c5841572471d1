"""User.password_change_token_digest: the token that made the latest password change stays
valid. Nullable, so existing accounts get null: no token survives a change they made before."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("conduit", "0004_user_keys_unique")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="password_change_token_digest",
            field=models.CharField(blank=True, editable=False, max_length=64, null=True),
        ),
    ]
