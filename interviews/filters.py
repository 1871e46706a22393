import django_filters

from interviews.models import InterviewSession


class SessionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=InterviewSession.Status.choices)
    job_posting_id = django_filters.UUIDFilter(field_name="job_posting_id")
    has_feedback = django_filters.BooleanFilter(field_name="feedback", lookup_expr="isnull", exclude=True)

    class Meta:
        model = InterviewSession
        fields = ["status", "job_posting_id", "has_feedback"]
