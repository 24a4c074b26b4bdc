from itertools import pairwise

import pytest

from indicators.worddiff import as_text, word_diff

CASES = [
    ("", ""),
    (None, None),
    (None, "Un texte neuf."),
    ("Un texte retiré.", None),
    ("Le mentor est formé.", "Le mentor est formé."),
    ("Le mentor est formé avant la rencontre.", "Le mentor est formé et suivi avant la première rencontre."),
    ("Cible : 80 % des binômes.", "Cible : 90 % des binômes, sur six mois."),
    ("**durée minimale**, rythme", "**durée   minimale** et rythme\n- liste"),
    ("élève à l'école", "élèves à l’école"),
    ("a b c d e", "e d c b a"),
]


def rebuilt(segments: list[tuple[str, str]], keep: str) -> str:
    return "".join(text for op, text in segments if op in ("equal", keep))


@pytest.mark.parametrize(("before", "after"), CASES)
def test_segments_rebuild_both_texts(before: str | None, after: str | None) -> None:
    segments = word_diff(before, after)
    assert rebuilt(segments, "delete") == (before or "")
    assert rebuilt(segments, "insert") == (after or "")


@pytest.mark.parametrize(("before", "after"), CASES)
def test_segments_are_merged_and_not_empty(before: str | None, after: str | None) -> None:
    segments = word_diff(before, after)
    assert all(op in ("equal", "insert", "delete") and text for op, text in segments)
    assert all(a[0] != b[0] for a, b in pairwise(segments))


def test_identical_texts_are_one_equal_segment() -> None:
    assert word_diff("Le mentor est formé.", "Le mentor est formé.") == [("equal", "Le mentor est formé.")]


def test_none_and_empty_give_nothing() -> None:
    assert word_diff(None, "") == []


def test_inserted_words() -> None:
    assert word_diff("Le mentor est formé.", "Le mentor est bien formé.") == [
        ("equal", "Le mentor est "),
        ("insert", "bien "),
        ("equal", "formé."),
    ]


def test_replaced_word_is_delete_then_insert() -> None:
    assert word_diff("Cible : 80 % des binômes.", "Cible : 90 % des binômes.") == [
        ("equal", "Cible : "),
        ("delete", "80"),
        ("insert", "90"),
        ("equal", " % des binômes."),
    ]


def test_accented_words_are_whole_tokens() -> None:
    assert word_diff("une évaluation", "une réévaluation") == [
        ("equal", "une "),
        ("delete", "évaluation"),
        ("insert", "réévaluation"),
    ]


def test_punctuation_is_its_own_token() -> None:
    assert word_diff("formé.", "formé !") == [("equal", "formé"), ("delete", "."), ("insert", " !")]


def test_as_text_marks_deletions_and_insertions() -> None:
    segments = word_diff("Cible : 80 % des binômes.", "Cible : 90 % des binômes, au moins.")
    assert as_text(segments) == "Cible : [-80-]{+90+} % des binômes{+, au moins+}."


def test_as_text_of_equal_texts_is_the_text() -> None:
    assert as_text(word_diff("Rien ne change.", "Rien ne change.")) == "Rien ne change."


def test_one_word_changed_in_a_long_text_is_one_change_between_what_stays() -> None:
    """What both texts share at each end is kept whole (and left out of the matching)."""
    words = " ".join(f"mot{n}" for n in range(2000))
    segments = word_diff(words + " fin.", words.replace("mot1000 ", "terme ") + " fin.")
    assert segments == [
        ("equal", " ".join(f"mot{n}" for n in range(1000)) + " "),
        ("delete", "mot1000"),
        ("insert", "terme"),
        ("equal", " " + " ".join(f"mot{n}" for n in range(1001, 2000)) + " fin."),
    ]
