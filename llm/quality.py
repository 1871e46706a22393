"""Is this text something a person could use? Cheap checks for model output that has the right
shape and no content: punctuation placeholders (``","``), bare numbers (``"17.2.1.2"``), one
word where a paragraph belongs.

Any script counts: letters are Unicode letters, and in scripts written without spaces
(Chinese, Japanese, Thai, ...) each letter counts as a word's worth. Pure functions, no Django.
"""

from __future__ import annotations

import unicodedata

# Scripts written without spaces between words: there, letters stand in for words.
_UNSPACED_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "THAI", "LAO", "KHMER", "MYANMAR", "TIBETAN")


def _is_letter(ch: str) -> bool:
    return unicodedata.category(ch).startswith("L")


def _is_unspaced_letter(ch: str) -> bool:
    return _is_letter(ch) and unicodedata.name(ch, "").startswith(_UNSPACED_SCRIPTS)


def word_count(text: str) -> int:
    """Words with at least two letters, plus letters of unspaced scripts (each ~ a word's worth / 2)."""
    words = 0
    unspaced = 0
    for token in text.split():
        unspaced_here = sum(1 for ch in token if _is_unspaced_letter(ch))
        unspaced += unspaced_here
        if sum(1 for ch in token if _is_letter(ch)) - unspaced_here >= 2:
            words += 1
    return words + unspaced // 2


def is_prose(text: str, *, min_words: int = 3) -> bool:
    """At least ``min_words`` words of letters, in any script, and more letters than digits."""
    letters = sum(1 for ch in text if _is_letter(ch))
    digits = sum(1 for ch in text if ch.isdigit())
    return letters > digits and word_count(text) >= min_words


def is_phrase(text: str) -> bool:
    """A list item: at least one word (two letters, or one of an unspaced script's), not mostly digits."""
    letters = sum(1 for ch in text if _is_letter(ch))
    digits = sum(1 for ch in text if ch.isdigit())
    unspaced = any(_is_unspaced_letter(ch) for ch in text)
    return letters > digits and (letters >= 2 or unspaced)


def normalized(text: str) -> str:
    """Comparison form: case, Unicode forms, punctuation and spacing ignored."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text).split())
