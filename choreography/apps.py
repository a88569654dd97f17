from django.apps import AppConfig


class ChoreographyConfig(AppConfig):
    name = "choreography"
    default_auto_field = "django.db.models.BigAutoField"
