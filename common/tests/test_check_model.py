"""manage.py check_model against fake servers of each kind."""

import io

import pytest
from django.core.management import CommandError, call_command

from conftest import PLANTED_KEY
from tests.fake_openai import Reply

pytestmark = pytest.mark.django_db


def check_model(*args) -> str:
    out = io.StringIO()
    call_command("check_model", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("persona", "best", "refused"),
    [
        ("openai", "json_schema", []),
        ("llama-cpp-python", "tools", ["json_schema"]),  # json_schema refused; tools preferred to json_object
        ("tools-only", "tools", ["json_schema", "json_object"]),
    ],
)
def test_it_finds_the_mode_each_server_supports(fake_llm, persona, best, refused):
    fake_llm.persona = persona

    out = check_model()

    assert "Key:    accepted" in out
    assert f"Use: OPENAI_STRUCTURED_OUTPUT={best}" in out
    for mode in refused:
        assert f"{mode:<12} no   refused by the server" in out
    for mode in {"json_schema", "json_object", "tools"} - set(refused):
        assert f"{mode:<12} yes" in out
    assert "Paris, France" in out
    assert "tokens/s" in out
    assert PLANTED_KEY not in out
    # One model list, one request per mode.
    assert len(fake_llm.calls) == 4


def test_a_slow_server_gets_the_slow_profile_advice(fake_llm, settings):
    settings.OPENAI_TIMEOUT_SECONDS = 7.0
    fake_llm.push(Reply(content='{"city": "Paris", "country": "France"}', delay=0.1))  # ~3,000 tokens/s

    out = check_model("--mode", "json_schema")

    assert "s at this speed (" in out
    assert "MODEL_TIME_PROFILE=slow-local" not in out  # under a second, far below 7 s
    fake_llm.push(Reply(content='{"city": "Paris", "country": "France"}', delay=2.0))  # <= 175 tokens/s: ~9 s
    settings.OPENAI_TIMEOUT_SECONDS = 7.0
    assert "MODEL_TIME_PROFILE=slow-local" in check_model("--mode", "json_schema")


def test_a_rejected_key_stops_it(fake_llm):
    fake_llm.rejected_keys.add(PLANTED_KEY)
    with pytest.raises(CommandError, match="rejected OPENAI_API_KEY"):
        check_model()


def test_an_unreachable_server_stops_it(fake_llm, settings):
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"
    with pytest.raises(CommandError, match="cannot be reached"):
        check_model()


def test_no_working_mode_is_an_error(fake_llm):
    fake_llm.push(*(Reply(content="not json at all") for _ in range(3)))
    with pytest.raises(CommandError, match="No structured-output mode worked"):
        check_model()
