from django.apps import AppConfig


class InterviewsConfig(AppConfig):
    name = "interviews"

    def ready(self) -> None:
        from accounts.services import AI_NOT_CONFIGURED
        from interviews.serializers import QUESTION_EXAMPLE, MessageSerializer
        from interviews.services import (
            QUESTION_ALREADY_OPEN,
            QUESTION_LIMIT_REACHED,
            QUESTION_OPERATION_TYPE,
            SESSION_NOT_ACTIVE,
            SESSION_NOT_FOUND,
            question_retry,
        )
        from operations import registry

        registry.register(
            registry.OperationType(
                name=QUESTION_OPERATION_TYPE,
                label="Question generation",
                task="interviews.tasks.generate_question_task",
                retry=question_retry,
                result_serializer=MessageSerializer,
                result_example=QUESTION_EXAMPLE,
                not_retryable=frozenset({SESSION_NOT_FOUND}),  # the session was deleted meanwhile
                request_codes=(SESSION_NOT_ACTIVE, QUESTION_ALREADY_OPEN, QUESTION_LIMIT_REACHED, AI_NOT_CONFIGURED),
            )
        )
