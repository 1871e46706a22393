"""Feedback endpoints, under /sessions/{id}/: ask for the AI analysis, read its result."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.requests import request_user
from accounts.services import AI_NOT_CONFIGURED
from common.exceptions import NotFoundError
from common.schema import problem_codes
from common.throttling import FeedbackRateThrottle
from feedback import selectors, services
from feedback.serializers import DashboardSerializer, FeedbackSerializer
from feedback.services import FEEDBACK_ALREADY_EXISTS, FEEDBACK_NOT_FOUND, NO_ANSWERS_TO_ANALYZE
from interviews.models import InterviewSession
from interviews.selectors import session_list
from interviews.services import SESSION_NOT_COMPLETED
from operations.views import accepted, accepted_schema


class SessionFeedbackViewSet(viewsets.GenericViewSet[InterviewSession]):
    """``/sessions/{id}/generate-feedback`` and ``/sessions/{id}/feedback`` (registered on the sessions prefix)."""

    def get_queryset(self) -> QuerySet[InterviewSession]:
        return session_list(user=request_user(self.request))

    @accepted_schema(
        "Accepted: the analysis is queued (or already running: the same operation is returned). "
        "Poll `Location` every `Retry-After` seconds."
    )
    @problem_codes(SESSION_NOT_COMPLETED, NO_ANSWERS_TO_ANALYZE, FEEDBACK_ALREADY_EXISTS, AI_NOT_CONFIGURED)
    @action(detail=True, methods=["post"], url_path="generate-feedback", throttle_classes=[FeedbackRateThrottle])
    def generate_feedback(self, request: Request, pk: str | None = None) -> Response:
        """Start (or join) the AI analysis of a completed session; poll the returned operation.

        Checks, in this order: the session is yours (404), completed (`SESSION_NOT_COMPLETED`),
        has an answer (`NO_ANSWERS_TO_ANALYZE`), has no feedback yet (409
        `FEEDBACK_ALREADY_EXISTS`), a model is configured (`AI_NOT_CONFIGURED`). The request
        never waits for the model. Limited per user (429 `RATE_LIMITED`).
        """
        # The service loads the session (scoped to the user, 404 otherwise) with its checks in one query.
        operation, _created = services.feedback_request(session_id=pk, user=request_user(request))
        return accepted(operation)

    @extend_schema(responses={200: FeedbackSerializer})
    @problem_codes(FEEDBACK_NOT_FOUND)
    @action(detail=True, methods=["get"])
    def feedback(self, request: Request, pk: str | None = None) -> Response:
        """The session's feedback: 404 `FEEDBACK_NOT_FOUND` until the analysis has completed."""
        session = self.get_object()
        feedback = selectors.feedback_get(session=session)
        if feedback is None:
            raise NotFoundError("No feedback has been generated for this session yet.", code=FEEDBACK_NOT_FOUND)
        return Response(FeedbackSerializer(feedback).data)


class DashboardViewSet(viewsets.GenericViewSet[Any]):  # no queryset: one action on the user
    """``/users/me/dashboard`` (registered on the users prefix; the users themselves are accounts')."""

    @extend_schema(responses={200: DashboardSerializer})
    @action(detail=False, methods=["get"], url_path="me/dashboard")
    def dashboard(self, request: Request) -> Response:
        """Your progress over time, computed by the database in a fixed number of queries.

        Completed sessions, questions answered, the average and best overall score, each dimension's
        average (null with no feedback), the score trend (the last 20 scored sessions, oldest
        first) and your top 5 roles by completed sessions.
        """
        return Response(DashboardSerializer(selectors.dashboard_get(user=request_user(request))).data)
