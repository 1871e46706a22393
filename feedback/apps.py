from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"

    def ready(self) -> None:
        from accounts.services import AI_NOT_CONFIGURED
        from feedback.serializers import FEEDBACK_EXAMPLE, FeedbackSerializer
        from feedback.services import FEEDBACK_ALREADY_EXISTS, NO_ANSWERS_TO_ANALYZE, OPERATION_TYPE, feedback_retry
        from interviews.services import SESSION_NOT_COMPLETED, SESSION_NOT_FOUND
        from operations import registry

        registry.register(
            registry.OperationType(
                name=OPERATION_TYPE,
                label="Feedback analysis",
                task="feedback.tasks.generate_feedback_task",
                retry=feedback_retry,
                result_serializer=FeedbackSerializer,
                result_example=FEEDBACK_EXAMPLE,
                not_retryable=frozenset({SESSION_NOT_FOUND}),  # the session was deleted meanwhile
                request_codes=(
                    SESSION_NOT_COMPLETED,
                    NO_ANSWERS_TO_ANALYZE,
                    FEEDBACK_ALREADY_EXISTS,
                    AI_NOT_CONFIGURED,
                ),
            )
        )
