"""France's reference geography: the INSEE regions and departments, and the kinds of territory."""

from __future__ import annotations

from collections import Counter

import pytest

from places.france import department, departments, reference, region, regions
from places.territory_kinds import KIND_NAMES, TERRITORY_KINDS, territory_kinds
from web.failures import InvalidInput

# How many departments each region has (COG 2024): a misplaced department changes two counts.
DEPARTMENTS_PER_REGION = {
    "01": 1, "02": 1, "03": 1, "04": 1, "06": 1, "11": 8, "24": 6, "27": 8, "28": 5,
    "32": 5, "44": 10, "52": 5, "53": 4, "75": 12, "76": 13, "84": 12, "93": 6, "94": 2,
}  # fmt: skip


def test_there_are_18_regions_and_101_departments_with_unique_codes() -> None:
    region_codes = [each.code for each in regions()]
    department_codes = [each.code for each in departments()]
    assert len(region_codes) == len(set(region_codes)) == 18
    assert len(department_codes) == len(set(department_codes)) == 101
    assert region_codes == sorted(region_codes)


def test_departments_come_in_insee_order() -> None:
    codes = [each.code for each in departments()]
    assert codes[:3] == ["01", "02", "03"]
    assert codes[18:22] == ["19", "2A", "2B", "21"]
    assert codes[-6:] == ["95", "971", "972", "973", "974", "976"]


def test_every_department_is_in_a_known_region() -> None:
    assert {each.region for each in departments()} == set(regions())
    assert Counter(each.region.code for each in departments()) == DEPARTMENTS_PER_REGION


@pytest.mark.parametrize(
    ("code", "region_code", "name"),
    [("971", "01", "Guadeloupe"), ("972", "02", "Martinique"), ("973", "03", "Guyane"),
     ("974", "04", "La Réunion"), ("976", "06", "Mayotte")],
)  # fmt: skip
def test_overseas_departments_are_their_own_regions(code: str, region_code: str, name: str) -> None:
    assert department(code).region == region(region_code)
    assert department(code).name == region(region_code).name == name


def test_well_known_departments_and_their_regions() -> None:
    assert department("2A").region.name == department("2B").region.name == "Corse"
    assert department("75").name == "Paris" and department("75").region.code == "11"
    assert department("44").region.name == "Pays de la Loire"
    assert department("35").region.name == "Bretagne"
    assert department("22").name == "Côtes-d'Armor"
    assert department("90").name == "Territoire de Belfort"


def test_lookups_normalise_case_and_spaces() -> None:
    assert department("2a") == department("2A")
    assert department(" 75 ").name == "Paris"
    assert region(" 84").name == "Auvergne-Rhône-Alpes"


@pytest.mark.parametrize("code", ["00", "1", "20", "977", "", None, 75, "7 5", ["75"]])
def test_unknown_or_malformed_department_codes_are_refused(code: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        department(code)
    assert refused.value.field == "department"
    assert "is not a French department" in str(refused.value)


@pytest.mark.parametrize("code", ["05", "84 4", 84, None])
def test_unknown_region_codes_are_refused(code: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        region(code)
    assert refused.value.field == "region"


def test_the_reference_names_insee_and_its_vintage() -> None:
    source, vintage, url = reference()
    assert "INSEE" in source and "Code officiel géographique" in source
    assert vintage == 2024
    assert url.startswith("https://www.insee.fr/")


def test_territory_kinds_are_deduplicated_in_their_order() -> None:
    assert territory_kinds(["urban", "rural", "urban"]) == ("rural", "urban")
    assert territory_kinds(("overseas", "qpv")) == ("qpv", "overseas")
    assert territory_kinds([]) == ()
    assert set(KIND_NAMES) == set(TERRITORY_KINDS)


@pytest.mark.parametrize("values", [["rural", "forest"], ["RURAL"], [1], [None]])
def test_unknown_territory_kinds_are_refused(values: object) -> None:
    with pytest.raises(InvalidInput, match="Unknown kind of territory") as refused:
        territory_kinds(values)
    assert refused.value.field == "territory_kinds"
    assert "rural, qpv, overseas, urban" in str(refused.value)


@pytest.mark.parametrize("values", ["rural", None, {"rural": True}, {"rural"}])
def test_territory_kinds_must_be_a_list(values: object) -> None:
    with pytest.raises(InvalidInput, match="must be a list") as refused:
        territory_kinds(values)
    assert refused.value.field == "territory_kinds"
