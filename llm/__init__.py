"""The OpenAI-compatible model client: configuration, timeouts, error taxonomy, structured output.

Plain package (not a Django app). Everything else calls :func:`llm.structured.complete_structured`
and handles one exception type, :class:`llm.errors.LLMError`.
"""

from llm import budget
from llm.client import Credentials, service_credentials
from llm.errors import LLMError, LLMErrorCode
from llm.structured import StructuredResult, complete_structured

__all__ = [
    "Credentials",
    "LLMError",
    "LLMErrorCode",
    "StructuredResult",
    "budget",
    "complete_structured",
    "service_credentials",
]
