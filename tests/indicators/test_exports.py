import csv
import io

import pytest

from indicators.content import Release
from indicators.exports import CSV_HEADER, release_csv, release_markdown
from tests.indicators.release_factory import derive, new_text, starter_release

TITLE = "Indicateurs de qualité des programmes de mentorat"


@pytest.fixture(scope="module")
def release() -> Release:
    return starter_release()


def parsed(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_has_a_header_and_one_row_per_indicator(release: Release) -> None:
    rows = parsed(release_csv(release))
    assert rows[0] == list(CSV_HEADER)
    assert rows[0][:4] == ["theme_code", "theme_title", "code", "revision"]
    assert len(rows) == 36
    assert [row[2] for row in rows[1:]] == [code for code in release.indicators()]


def test_csv_rows_carry_the_texts(release: Release) -> None:
    rows = {row[2]: dict(zip(CSV_HEADER, row, strict=True)) for row in parsed(release_csv(release))[1:]}
    theme, indicator = release.indicators()["SEL-2"]
    row = rows["SEL-2"]
    assert (row["theme_code"], row["theme_title"], row["revision"]) == ("SEL", theme.title, "1")
    assert row["title"] == indicator.text.title
    assert row["statement"] == indicator.text.statement
    assert row["measurement"] == indicator.text.measurement
    assert row["territorial_note"] == indicator.text.territorial_note
    assert row["statement_en"] == indicator.text.statement_en
    assert row["rationale_en"] == ""  # None
    assert rows["REC-1"]["territorial_note"] == ""


def test_csv_uses_crlf_line_ends_and_quotes_every_text_cell(release: Release) -> None:
    text = release_csv(release)
    assert text.startswith(",".join(f'"{name}"' for name in CSV_HEADER) + "\r\n")
    assert text.endswith("\r\n")
    first = text.split("\r\n")[1]
    assert first.startswith('"REC","') and ',1,"' in first  # the revision is a number, not quoted


def test_csv_survives_commas_quotes_and_newlines(release: Release) -> None:
    tricky = 'Le mentor dit : "bonjour", puis ;\nune deuxième ligne,\r\net une troisième.'
    amended = derive(release, "1.1.0", amend={"REC-2": {"statement": tricky, "measurement": "a,b"}})
    rows = {row[2]: row for row in parsed(release_csv(amended))[1:]}
    assert rows["REC-2"][CSV_HEADER.index("statement")] == tricky
    assert rows["REC-2"][CSV_HEADER.index("measurement")] == "a,b"
    assert len(rows) == 35


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_csv_defuses_formula_looking_cells(release: Release, value: str) -> None:
    amended = derive(release, "1.1.0", amend={"REC-1": {"title": value}})
    rows = {row[2]: row for row in parsed(release_csv(amended))[1:]}
    assert rows["REC-1"][CSV_HEADER.index("title")] == "'" + value


TRAPS = [
    "Texte;=cmd|' /C calc'!A0",
    'Texte, =HYPERLINK("https://evil.example")',
    "Texte\t@SUM(A1:A9)",
    "Texte | +1+1",
    "Texte ;  -2+3",
    "Première ligne\n=1+1",
    "Première ligne\r\n+cmd",
]


@pytest.mark.parametrize("separator", [",", ";", "\t", "|"])  # English, French, tab-separated, pipes
def test_no_piece_of_a_cell_starts_a_formula_whatever_a_spreadsheet_splits_on(
    release: Release, separator: str
):
    """A spreadsheet that splits cells again on its own separator (French Excel splits on ";") or
    that ignores the quotes still finds no formula: every formula start after a separator is defused."""
    amended = derive(release, "1.1.0", amend={"REC-1": {"title": TRAPS[0], "statement": " ".join(TRAPS)}})
    raw = release_csv(amended)
    for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        for piece in line.split(separator):
            cell = piece.strip(' "')
            assert not cell.startswith(("=", "+", "-", "@")), (separator, piece)
    rows = {row[2]: row for row in parsed(raw)[1:]}
    assert rows["REC-1"][CSV_HEADER.index("title")] == "Texte;'=cmd|' /C calc'!A0"  # readable, inert


def test_csv_leaves_ordinary_cells_alone(release: Release) -> None:
    added = new_text("Titre sans risque", statement="'cité'")
    amended = derive(release, "1.1.0", add={"REC": [("REC-5", added)]})
    rows = {row[2]: row for row in parsed(release_csv(amended))[1:]}
    assert rows["REC-5"][CSV_HEADER.index("title")] == "Titre sans risque"
    assert rows["REC-5"][CSV_HEADER.index("statement")] == "'cité'"


def test_markdown_gives_the_release_identity(release: Release) -> None:
    text = release_markdown(release, TITLE)
    assert text.startswith(f"# {TITLE}\n")
    assert "1.0.0" in text
    assert "2026-01-15" in text
    assert release.content_hash in text
    assert "SHA-256" in text
    assert release.summary in text


def test_markdown_has_every_theme_and_indicator_heading(release: Release) -> None:
    lines = release_markdown(release, TITLE).splitlines()
    for theme in release.themes:
        assert f"## {theme.code} — {theme.title}" in lines
        for indicator in theme.indicators:
            assert f"### {indicator.code} — {indicator.text.title}" in lines
    assert sum(line.startswith("### ") for line in lines) == 35


def test_markdown_indicator_section(release: Release) -> None:
    text = release_markdown(release, TITLE)
    _, sel2 = release.indicators()["SEL-2"]
    section = text.split("### SEL-2 — ")[1].split("\n### ")[0]
    assert sel2.text.statement in section  # Markdown kept as it is
    assert f"**Pourquoi**\n\n{sel2.text.rationale}" in section
    assert "**Niveau de preuve** : practice" in section
    assert f"**Mesure**\n\n{sel2.text.measurement}" in section
    assert f"**Adaptation territoriale**\n\n{sel2.text.territorial_note}" in section
    assert "Révision 1" in section


def test_markdown_omits_a_missing_territorial_note(release: Release) -> None:
    text = release_markdown(release, TITLE)
    section = text.split("### REC-1 — ")[1].split("\n### ")[0]
    assert "**Adaptation territoriale**" not in section
    assert "**durée minimale**" in section


def test_markdown_shows_evidence_labels_when_given(release: Release) -> None:
    text = release_markdown(release, TITLE, {"practice": "Consensus de terrain"})
    assert "**Niveau de preuve** : Consensus de terrain" in text
    assert "**Niveau de preuve** : research" in text


def test_markdown_shows_revisions(release: Release) -> None:
    amended = derive(release, "1.1.0", amend={"REC-1": {"title": "Un titre revu"}})
    text = release_markdown(amended, TITLE)
    section = text.split("### REC-1 — Un titre revu")[1].split("\n### ")[0]
    assert "Révision 2" in section
