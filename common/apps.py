from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "Common"

    def ready(self) -> None:
        # Registers the OpenAPI extensions (drf-spectacular finds them by subclassing).
        from common import schema  # noqa: F401
