from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from common.exceptions import NotFoundError
from common.schema import problem_codes
from common.throttling import FeedbackRateThrottle
from feedback import selectors as feedback_selectors
from feedback import services as feedback_services
from feedback.serializers import FeedbackSerializer
from interviews import selectors, services
from interviews.filters import SessionFilter
from interviews.serializers import (
    AnswerCreateSerializer,
    JobPostingSerializer,
    MessageSerializer,
    QuestionCreateSerializer,
    ResumeSerializer,
    SessionCreateSerializer,
    SessionDetailSerializer,
    SessionSerializer,
)
from operations.serializers import OperationSerializer
from operations.views import RETRY_AFTER_SECONDS


class JobPostingViewSet(viewsets.ModelViewSet):
    serializer_class = JobPostingSerializer

    def get_queryset(self):
        return selectors.job_posting_list(user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.job_posting_create(user=self.request.user, data=serializer.validated_data)

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
        resume = selectors.resume_get(user=self.request.user)
        if resume is None:
            raise NotFoundError("You have no résumé yet.")
        return resume

    @problem_codes("RESUME_ALREADY_EXISTS")
    def create(self, request):
        """Create your résumé (one per user)."""
        data = ResumeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        resume = services.resume_create(user=request.user, content=data.validated_data["content"])
        return Response(ResumeSerializer(resume).data, status=status.HTTP_201_CREATED)

    @problem_codes("NOT_FOUND")
    @action(detail=False, methods=["get"], url_path="me")
    def me(self, request):
        """Your résumé (404 until you create one)."""
        return Response(ResumeSerializer(self._get_own()).data)

    @problem_codes("NOT_FOUND")
    @me.mapping.put
    def me_update(self, request):
        """Replace your résumé's content."""
        resume = self._get_own()
        data = ResumeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        resume = services.resume_update(resume=resume, content=data.validated_data["content"])
        return Response(ResumeSerializer(resume).data)

    @problem_codes("NOT_FOUND")
    @me.mapping.delete
    def me_delete(self, request):
        """Delete your résumé."""
        services.resume_delete(resume=self._get_own())
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = SessionSerializer
    filterset_class = SessionFilter

    def get_queryset(self):
        return selectors.session_list(user=self.request.user)

    @extend_schema(request=SessionCreateSerializer, responses={201: SessionSerializer})
    @problem_codes("NOT_FOUND")
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
    @problem_codes("SESSION_NOT_ACTIVE")
    @action(detail=True, methods=["post"])
    def questions(self, request, pk=None):
        """Add a question asked outside the AI generator (e.g. imported) to an active session."""
        session = self.get_object()
        data = QuestionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.session_ask_question(session=session, **data.validated_data)
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AnswerCreateSerializer, responses={201: MessageSerializer})
    @problem_codes("SESSION_NOT_ACTIVE")
    @action(detail=True, methods=["post"])
    def answers(self, request, pk=None):
        """Answer the session's open question (400 `VALIDATION_ERROR` when there is none)."""
        session = self.get_object()
        data = AnswerCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.session_answer(session=session, **data.validated_data)
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: SessionSerializer})
    @problem_codes("SESSION_NOT_ACTIVE")
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        """Pause an active session."""
        return Response(SessionSerializer(services.session_pause(session=self.get_object())).data)

    @extend_schema(request=None, responses={200: SessionSerializer})
    @problem_codes("SESSION_NOT_PAUSED")
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Resume a paused session."""
        return Response(SessionSerializer(services.session_resume(session=self.get_object())).data)

    @extend_schema(request=None, responses={200: SessionSerializer})
    @problem_codes("SESSION_ALREADY_COMPLETED")
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Complete an active or paused session; then ask for feedback."""
        return Response(SessionSerializer(services.session_complete(session=self.get_object())).data)

    @extend_schema(
        request=None,
        responses={
            202: OpenApiResponse(
                OperationSerializer,
                description="Accepted: the analysis is queued (or already running: the same operation "
                "is returned). Poll `Location` every `Retry-After` seconds.",
            )
        },
        parameters=[
            OpenApiParameter(
                "Location",
                {"type": "string", "pattern": r"^/api/v1/operations/[0-9a-f-]{36}$"},
                OpenApiParameter.HEADER,
                response=[202],
                required=True,
                description="Where to poll the operation: `/api/v1/operations/{id}`.",
            ),
            OpenApiParameter(
                "Retry-After",
                OpenApiTypes.INT,
                OpenApiParameter.HEADER,
                response=[202],
                required=True,
                description=f"Seconds to wait before polling ({RETRY_AFTER_SECONDS}).",
            ),
        ],
    )
    @problem_codes("SESSION_NOT_COMPLETED", "NO_ANSWERS_TO_ANALYZE", "FEEDBACK_ALREADY_EXISTS", "AI_NOT_CONFIGURED")
    @action(detail=True, methods=["post"], url_path="generate-feedback", throttle_classes=[FeedbackRateThrottle])
    def generate_feedback(self, request, pk=None):
        """Start (or join) the AI analysis of a completed session; poll the returned operation.

        Checks, in this order: the session is yours (404), completed (`SESSION_NOT_COMPLETED`),
        has an answer (`NO_ANSWERS_TO_ANALYZE`), has no feedback yet (409
        `FEEDBACK_ALREADY_EXISTS`), a model is configured (`AI_NOT_CONFIGURED`). The request
        never waits for the model. Limited per user (429 `RATE_LIMITED`).
        """
        # The service loads the session (scoped to the user, 404 otherwise) with its checks in one query.
        operation, _created = feedback_services.feedback_request(session_id=pk, user=request.user)
        headers = {
            "Location": f"/api/v1/operations/{operation.id}",
            "Retry-After": str(RETRY_AFTER_SECONDS),
        }
        return Response(OperationSerializer(operation).data, status=status.HTTP_202_ACCEPTED, headers=headers)

    @extend_schema(responses={200: FeedbackSerializer})
    @problem_codes("FEEDBACK_NOT_FOUND")
    @action(detail=True, methods=["get"])
    def feedback(self, request, pk=None):
        """The session's feedback: 404 `FEEDBACK_NOT_FOUND` until the analysis has completed."""
        session = self.get_object()
        feedback = feedback_selectors.feedback_get(session=session)
        if feedback is None:
            raise NotFoundError("No feedback has been generated for this session yet.", code="FEEDBACK_NOT_FOUND")
        return Response(FeedbackSerializer(feedback).data)
