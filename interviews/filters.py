import django_filters

from interviews.models import InterviewSession


class SessionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=InterviewSession.Status.choices)
    job_posting_id = django_filters.UUIDFilter(field_name="job_posting_id")

    class Meta:
        model = InterviewSession
        fields = ["status", "job_posting_id"]
