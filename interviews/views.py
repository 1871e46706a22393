from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.requests import request_user
from accounts.services import AI_NOT_CONFIGURED, OPERATION_IN_PROGRESS
from common.exceptions import NOT_FOUND, NotFoundError
from common.schema import problem_codes
from common.throttling import QuestionRateThrottle
from interviews import selectors, services
from interviews.filters import SessionFilter
from interviews.serializers import (
    AnswerCreateSerializer,
    AttemptSerializer,
    GenerateQuestionSerializer,
    JobPostingSerializer,
    MessageSerializer,
    QuestionCreateSerializer,
    ResumeSerializer,
    SessionCreateSerializer,
    SessionDetailSerializer,
    SessionSerializer,
)
from interviews.services import (
    QUESTION_ALREADY_OPEN,
    QUESTION_LIMIT_REACHED,
    RESUME_ALREADY_EXISTS,
    RETAKE_CONFLICT,
    SESSION_ALREADY_COMPLETED,
    SESSION_NOT_ACTIVE,
    SESSION_NOT_COMPLETED,
    SESSION_NOT_PAUSED,
    TRANSCRIPT_TOO_LONG,
)
from operations.views import accepted, accepted_schema


class JobPostingViewSet(viewsets.ModelViewSet):
    serializer_class = JobPostingSerializer

    def get_queryset(self):
        return selectors.job_posting_list(user=request_user(self.request))

    def perform_create(self, serializer):
        serializer.instance = services.job_posting_create(
            user=request_user(self.request), data=serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.job_posting_update(
            job_posting=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.job_posting_delete(job_posting=instance)


class ResumeViewSet(viewsets.GenericViewSet):
    """The user's one résumé: POST /resumes, then GET/PUT/DELETE /resumes/me."""

    serializer_class = ResumeSerializer

    def _get_own(self):
        resume = selectors.resume_get(user=request_user(self.request))
        if resume is None:
            raise NotFoundError("You have no résumé yet.")
        return resume

    @problem_codes(RESUME_ALREADY_EXISTS)
    def create(self, request):
        """Create your résumé (one per user)."""
        data = ResumeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        resume = services.resume_create(user=request.user, content=data.validated_data["content"])
        return Response(ResumeSerializer(resume).data, status=status.HTTP_201_CREATED)

    @problem_codes(NOT_FOUND)
    @action(detail=False, methods=["get"], url_path="me")
    def me(self, request):
        """Your résumé (404 until you create one)."""
        return Response(ResumeSerializer(self._get_own()).data)

    @problem_codes(NOT_FOUND)
    @me.mapping.put
    def me_update(self, request):
        """Replace your résumé's content."""
        resume = self._get_own()
        data = ResumeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        resume = services.resume_update(resume=resume, content=data.validated_data["content"])
        return Response(ResumeSerializer(resume).data)

    @problem_codes(NOT_FOUND)
    @me.mapping.delete
    def me_delete(self, request):
        """Delete your résumé."""
        services.resume_delete(resume=self._get_own())
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = SessionSerializer
    filterset_class = SessionFilter

    @extend_schema(responses={204: None})
    @problem_codes(OPERATION_IN_PROGRESS)
    def destroy(self, request, pk=None):
        """Delete the session with its messages, feedback and operations.

        409 `OPERATION_IN_PROGRESS` while one of its operations is pending or processing: cancel it first.
        A later attempt of the same chain becomes its first if this one was.
        """
        services.session_delete(session=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={201: SessionSerializer})
    @problem_codes(SESSION_NOT_COMPLETED, RETAKE_CONFLICT)
    @action(detail=True, methods=["post"])
    def retake(self, request, pk=None):
        """Practise the same posting again: a new active session, the chain's next attempt.

        `attempt_number` is one above the chain's highest, `retake_of` the chain's first attempt.
        400 `SESSION_NOT_COMPLETED` unless this session is completed.
        """
        session = services.session_retake(session=self.get_object())
        return Response(SessionSerializer(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: AttemptSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def attempts(self, request, pk=None):
        """Every attempt of this session's chain, oldest first, with each one's scores (null without feedback)."""
        attempts = selectors.session_attempts(session=self.get_object())
        return Response(AttemptSerializer(attempts, many=True).data)

    def get_queryset(self):
        return selectors.session_list(user=request_user(self.request))

    @extend_schema(request=SessionCreateSerializer, responses={201: SessionSerializer})
    @problem_codes(NOT_FOUND)
    def create(self, request):
        """Start a session on one of your job postings (404 if it is not yours)."""
        data = SessionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.session_start(user=request.user, job_posting_id=data.validated_data["job_posting_id"])
        return Response(SessionSerializer(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: SessionDetailSerializer})
    def retrieve(self, request, pk=None):
        session = self.get_object()
        session = self.get_queryset().prefetch_related("messages").get(pk=session.pk)
        context = {"resume": selectors.resume_get(user=request.user)}
        return Response(SessionDetailSerializer(session, context=context).data)

    @extend_schema(responses={200: MessageSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def messages(self, request, pk=None):
        session = self.get_object()
        return Response(MessageSerializer(selectors.session_messages(session=session), many=True).data)

    @extend_schema(request=QuestionCreateSerializer, responses={201: MessageSerializer})
    @problem_codes(SESSION_NOT_ACTIVE, QUESTION_ALREADY_OPEN, QUESTION_LIMIT_REACHED, TRANSCRIPT_TOO_LONG)
    @action(detail=True, methods=["post"])
    def questions(self, request, pk=None):
        """Add a question asked outside the AI generator (e.g. imported) to an active session.

        As for a generated question, the session's last question must be answered first (409
        `QUESTION_ALREADY_OPEN`).
        """
        session = self.get_object()
        data = QuestionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.session_ask_question(session=session, **data.validated_data)
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AnswerCreateSerializer, responses={201: MessageSerializer})
    @problem_codes(SESSION_NOT_ACTIVE, TRANSCRIPT_TOO_LONG)
    @action(detail=True, methods=["post"])
    def answers(self, request, pk=None):
        """Answer the session's open question (400 `VALIDATION_ERROR` when there is none)."""
        session = self.get_object()
        data = AnswerCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.session_answer(session=session, **data.validated_data)
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: SessionSerializer})
    @problem_codes(SESSION_NOT_ACTIVE)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        """Pause an active session."""
        return Response(SessionSerializer(services.session_pause(session=self.get_object())).data)

    @extend_schema(request=None, responses={200: SessionSerializer})
    @problem_codes(SESSION_NOT_PAUSED)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Resume a paused session."""
        return Response(SessionSerializer(services.session_resume(session=self.get_object())).data)

    @extend_schema(request=None, responses={200: SessionSerializer})
    @problem_codes(SESSION_ALREADY_COMPLETED)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Complete an active or paused session; then ask for feedback."""
        return Response(SessionSerializer(services.session_complete(session=self.get_object())).data)

    @accepted_schema(
        "Accepted: the question is being generated (or already was being: the same operation is "
        "returned). Poll `Location` every `Retry-After` seconds; once `completed`, `result` is the "
        "question message.",
        request=GenerateQuestionSerializer,
    )
    @problem_codes(SESSION_NOT_ACTIVE, QUESTION_ALREADY_OPEN, QUESTION_LIMIT_REACHED, AI_NOT_CONFIGURED)
    @action(detail=True, methods=["post"], url_path="generate-question", throttle_classes=[QuestionRateThrottle])
    def generate_question(self, request, pk=None):
        """Ask the AI interviewer for the session's next question; poll the returned operation.

        Optional body `{question_type}` (`technical`, `behavioral`, `situational`); without it the
        interviewer keeps a mix (about half technical). Checks, in this order: the session is
        yours (404), active (`SESSION_NOT_ACTIVE`), its last question is answered (409
        `QUESTION_ALREADY_OPEN`), it has fewer than `SESSION_MAX_QUESTIONS` questions
        (`QUESTION_LIMIT_REACHED`), a model is configured (`AI_NOT_CONFIGURED`). Limited per user
        (429 `RATE_LIMITED`).
        """
        data = GenerateQuestionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        operation, _created = services.question_request(
            session_id=pk, user=request.user, question_type=data.validated_data.get("question_type")
        )
        return accepted(operation)
