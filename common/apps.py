from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "Common"

    def ready(self) -> None:
        # Registers the system checks and the OpenAPI extensions (drf-spectacular finds them by subclassing).
        from common import checks, schema  # noqa: F401
