"""The prompt's token budget: what one model call may be made to read, made explicit.

Token counts are estimated from characters (a tokenizer per provider is not worth a
dependency): one token per 3 characters errs on the safe side for English (about 4) and most
other languages. When a prompt would exceed OPENAI_MAX_INPUT_TOKENS, the texts that may be
shortened (the résumé, then the job description) are cut, in that order, with a marker; the
instructions and the interview itself never are (they are bounded at the source:
SESSION_MAX_QUESTIONS and SESSION_MAX_TRANSCRIPT_CHARS).
"""

from __future__ import annotations

CHARS_PER_TOKEN = 3
SHORTENED = "\n[… shortened to fit the model's input budget]"


def estimate_tokens(text: str) -> int:
    return -(-len(text) // CHARS_PER_TOKEN)


def fit(*, fixed: list[str], cuttable: list[str], max_tokens: int) -> list[str]:
    """``cuttable`` shortened, first ones first, until ``fixed`` + ``cuttable`` fit in ``max_tokens``."""
    texts = list(cuttable)
    excess = sum(estimate_tokens(t) for t in (*fixed, *texts)) - max_tokens
    for index, text in enumerate(texts):
        if excess <= 0:
            break
        keep = max(0, len(text) - (excess + estimate_tokens(SHORTENED)) * CHARS_PER_TOKEN)
        shortened = text[:keep] + SHORTENED
        excess -= estimate_tokens(text) - estimate_tokens(shortened)
        texts[index] = shortened
    return texts
