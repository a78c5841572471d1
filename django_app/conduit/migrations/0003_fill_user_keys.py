"""Fill the keys of existing users from canonical_username() and canonical_email().

If two existing accounts share a key (`Jake@x.io` and `jake@x.io`) the migration stops and
names them: only a person can decide which one keeps the name.
"""

from collections import defaultdict
from typing import Any

from django.db import migrations

from django_app.conduit.models import canonical_email, canonical_username


def fill_keys(apps: Any, schema_editor: Any) -> None:
    # The historical model has no save() override: the keys are set here.
    User = apps.get_model("conduit", "User")
    owners: dict[tuple[str, str], list[int]] = defaultdict(list)
    for user in User.objects.only("pk", "username", "email").iterator():
        user.username_key = canonical_username(user.username)
        user.email_key = canonical_email(user.email)
        owners["username", user.username_key].append(user.pk)
        owners["email", user.email_key].append(user.pk)
        user.save(update_fields=["username_key", "email_key"])
    clashes = [
        f"{field} {key!r}: users {ids}" for (field, key), ids in owners.items() if len(ids) > 1
    ]
    if clashes:
        raise RuntimeError(
            "accounts share a name or an email; rename all but one: " + "; ".join(clashes)
        )


class Migration(migrations.Migration):
    dependencies = [("conduit", "0002_user_keys")]

    operations = [migrations.RunPython(fill_keys, migrations.RunPython.noop)]
