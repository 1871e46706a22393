"""The OpenAI-compatible model client: configuration, timeouts, error taxonomy, structured output.

Plain package (not a Django app). Everything else calls :func:`llm.structured.complete_structured`
and handles one exception type, :class:`llm.errors.LLMError`.
"""

from llm.errors import LLMError, LLMErrorCode
from llm.structured import StructuredResult, complete_structured, is_configured

__all__ = ["LLMError", "LLMErrorCode", "StructuredResult", "complete_structured", "is_configured"]
