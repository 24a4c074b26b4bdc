import pytest

from indicators.compare import (
    ChangedIndicator,
    Comparison,
    FieldChange,
    IndicatorRef,
    MovedIndicator,
    compare_releases,
)
from indicators.content import Release
from indicators.worddiff import word_diff
from tests.indicators.release_factory import derive, new_text, starter_release


@pytest.fixture(scope="module")
def v1() -> Release:
    return starter_release()


@pytest.fixture(scope="module")
def v2(v1: Release) -> Release:
    return derive(
        v1,
        "2.0.0",
        amend={
            "SEL-2": {"title": "Vérifier les antécédents avant tout contact", "territorial_note": None},
            "FOR-3": {"measurement": "Cible : 90 % des mentors formés."},
        },
        add={"TER": [("TER-6", new_text("Relais dans les zones rurales"))], "REC": [("REC-5", new_text())]},
        retire=("CLO-2", "APP-4"),
        move={"EVA-5": "SUI", "FOR-3": "APP"},
    )


def test_identical_releases_compare_empty(v1: Release) -> None:
    comparison = compare_releases(v1, v1)
    assert comparison == Comparison("1.0.0", "1.0.0", [], [], [], [])
    assert comparison.is_empty


def test_versions_are_given(v1: Release, v2: Release) -> None:
    comparison = compare_releases(v1, v2)
    assert (comparison.from_version, comparison.to_version) == ("1.0.0", "2.0.0")
    assert not comparison.is_empty


def test_added_in_reading_order(v1: Release, v2: Release) -> None:
    assert compare_releases(v1, v2).added == [
        IndicatorRef("REC-5", "Un nouvel indicateur", "REC", 1),
        IndicatorRef("TER-6", "Relais dans les zones rurales", "TER", 1),
    ]


def test_removed_in_reading_order_of_before(v1: Release, v2: Release) -> None:
    removed = compare_releases(v1, v2).removed
    assert [(r.code, r.theme, r.revision) for r in removed] == [("APP-4", "APP", 1), ("CLO-2", "CLO", 1)]
    assert removed[0].title == v1.indicators()["APP-4"][1].text.title


def test_changed_lists_differing_fields_in_order(v1: Release, v2: Release) -> None:
    changed = compare_releases(v1, v2).changed
    assert [c.code for c in changed] == ["SEL-2", "FOR-3"]
    sel2 = changed[0]
    old = v1.indicators()["SEL-2"][1].text
    new_title = "Vérifier les antécédents avant tout contact"
    assert sel2 == ChangedIndicator(
        code="SEL-2",
        title=new_title,
        theme="SEL",
        before_revision=1,
        after_revision=2,
        fields=[
            FieldChange("title", old.title, new_title, word_diff(old.title, new_title)),
            FieldChange("territorial_note", old.territorial_note, None, [("delete", old.territorial_note)]),
        ],
    )


def test_field_diff_is_word_level(v1: Release, v2: Release) -> None:
    sel2 = compare_releases(v1, v2).changed[0]
    assert sel2.fields[0].diff == [
        ("delete", "Vérification"),
        ("insert", "Vérifier"),
        ("equal", " "),
        ("delete", "des"),
        ("insert", "les"),
        ("equal", " antécédents avant tout contact"),
    ]


def test_changed_and_moved_indicator_appears_in_both(v1: Release, v2: Release) -> None:
    comparison = compare_releases(v1, v2)
    for3 = next(c for c in comparison.changed if c.code == "FOR-3")
    assert for3.theme == "APP"
    assert [f.name for f in for3.fields] == ["measurement"]
    assert MovedIndicator("FOR-3", for3.title, "FOR", "APP") in comparison.moved


def test_moved_in_reading_order_of_after(v1: Release, v2: Release) -> None:
    moved = compare_releases(v1, v2).moved
    assert [(m.code, m.from_theme, m.to_theme) for m in moved] == [
        ("FOR-3", "FOR", "APP"),
        ("EVA-5", "EVA", "SUI"),
    ]


def test_unchanged_moved_indicator_is_not_changed(v1: Release, v2: Release) -> None:
    assert "EVA-5" not in {c.code for c in compare_releases(v1, v2).changed}


def test_reverse_direction(v1: Release, v2: Release) -> None:
    comparison = compare_releases(v2, v1)
    assert (comparison.from_version, comparison.to_version) == ("2.0.0", "1.0.0")
    assert [a.code for a in comparison.added] == ["APP-4", "CLO-2"]
    assert [r.code for r in comparison.removed] == ["REC-5", "TER-6"]
    assert [(m.code, m.from_theme, m.to_theme) for m in comparison.moved] == [
        ("FOR-3", "APP", "FOR"),
        ("EVA-5", "SUI", "EVA"),
    ]
    sel2 = next(c for c in comparison.changed if c.code == "SEL-2")
    old_title = v1.indicators()["SEL-2"][1].text.title
    assert (sel2.before_revision, sel2.after_revision, sel2.title) == (2, 1, old_title)
    assert sel2.fields[1].diff == [("insert", v1.indicators()["SEL-2"][1].text.territorial_note)]


def test_revision_bump_alone_is_not_a_change(v1: Release) -> None:
    same_text = derive(v1, "1.0.1", amend={"REC-1": {}})
    assert compare_releases(v1, same_text).is_empty
