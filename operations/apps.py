from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "operations"

    def ready(self) -> None:
        # Registers the OpenAPI extensions (drf-spectacular finds them by subclassing).
        # /metrics (common) reads the unfinished operations per scrape.
        from common.metrics_view import register_scrape_collector
        from operations import schema  # noqa: F401
        from operations.metrics import UnfinishedOperationsCollector

        register_scrape_collector(UnfinishedOperationsCollector())
