"""App configuration."""

from django.apps import AppConfig


class ConduitConfig(AppConfig):
    """The one app of the project; its label `conduit` names the tables and AUTH_USER_MODEL.

    Its models' primary keys are 64-bit (default_auto_field, which the migrations record).
    """

    name = "django_app.conduit"
    label = "conduit"
    verbose_name = "Conduit"
    default_auto_field = "django.db.models.BigAutoField"
