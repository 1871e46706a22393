"""What counts as usable text (llm/quality.py), in any script."""

import pytest

from llm.quality import is_phrase, is_prose, normalized, word_count


@pytest.mark.parametrize(
    "text",
    [
        "Clear, structured answers with concrete examples.",
        "Klare, gut strukturierte Antworten mit konkreten Beispielen.",
        "具体的な例を挙げた、明確で構造化された回答でした。",
        "Ответы ясные и хорошо структурированные.",
        "إجابات واضحة ومنظمة جيدا.",
        "คำตอบชัดเจนและมีโครงสร้างดี",
    ],
)
def test_prose_in_any_script(text):
    assert is_prose(text)


@pytest.mark.parametrize(
    "text",
    [",", "...", "-", "17.2.1.2", "0", "N/A", "Good.", "ok ok", "1. 2. 3. 4. 5.", "x y z", "良い"],
)
def test_not_prose(text):
    assert not is_prose(text)


@pytest.mark.parametrize(
    "item", ["SQL", "Transaction isolation levels", "索引", "Indizes in PostgreSQL", "C++ templates"]
)
def test_phrases(item):
    assert is_phrase(item)


@pytest.mark.parametrize("item", ["17.2.1.2", ",", "42", "-", "x", "1a2b3c"])
def test_not_phrases(item):
    assert not is_phrase(item)


def test_word_count_counts_unspaced_scripts_by_letters():
    assert word_count("one two three") == 3
    assert word_count("データベース設計") == 4  # 8 letters of an unspaced script ~ 4 words
    assert word_count("a b c") == 0


def test_normalized():
    assert normalized("  How would YOU scale it?! ") == normalized("how would you scale it")
    assert normalized("Wie würden Sie es skalieren?") == "wie würden sie es skalieren"
