import django_filters

from interviews.models import InterviewSession


class SessionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=InterviewSession.Status.choices)
    job_posting_id = django_filters.UUIDFilter(field_name="job_posting_id")
    # true | false, anything else is a 400 (django-filter's BooleanFilter would ignore it silently).
    has_feedback = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")], method="filter_has_feedback"
    )

    class Meta:
        model = InterviewSession
        fields = ["status", "job_posting_id", "has_feedback"]

    def filter_has_feedback(self, queryset, name, value):
        return queryset.filter(feedback__isnull=value != "true")
