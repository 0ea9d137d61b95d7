"""Postal addresses found whole, and places inside them not reported again as LOCATION.

Regex recognizers and the place list only: presidio's recognizer base class, no spaCy model."""

from __future__ import annotations

import pytest

pytest.importorskip("presidio_analyzer")

from llmops.guardrails.pii._address import AddressRecognizer, find_addresses
from llmops.guardrails.pii._places import PlaceRecognizer
from llmops.guardrails.pii._post import postprocess


def _addresses(text: str) -> list[str]:
    return [text[start:end] for start, end, _ in find_addresses(text)]


def _scan(text: str) -> dict[str, list[str]]:
    """Entity type -> substrings, from the address and place recognizers and the post-processing
    that ``scan_text`` applies."""
    results = AddressRecognizer().analyze(text, ["STREET_ADDRESS"])
    results += PlaceRecognizer().analyze(text, ["LOCATION"])
    hits = [(r.entity_type, r.start, r.end, r.score, "test") for r in results]
    found: dict[str, list[str]] = {}
    for entity, start, end, _, _ in postprocess(text, hits):
        found.setdefault(entity, []).append(text[start:end])
    return found


@pytest.mark.parametrize(
    ("text", "address"),
    [
        # US: number, street, type, direction, unit, town, state code, ZIP, country.
        ("Mail it to 1600 Pennsylvania Ave NW, Apt. 4B, Washington, DC 20500, USA. Thanks!",
         "1600 Pennsylvania Ave NW, Apt. 4B, Washington, DC 20500, USA"),
        # UK: a flat before the street line, the postcode after the town.
        ("Our new office: Flat 3, 14 High Street, Oxford OX1 4AA, United Kingdom",
         "Flat 3, 14 High Street, Oxford OX1 4AA, United Kingdom"),
        # Continental: the postcode before the town, the number after the street.
        ("Rechnung an Hauptstraße 5, 10115 Berlin, Germany bitte.",
         "Hauptstraße 5, 10115 Berlin, Germany"),
        ("Livraison au 12 rue de la Paix, 75002 Paris.", "12 rue de la Paix, 75002 Paris"),
        # No street type: a name and a number count only with a postcode or place after.
        ("Pošlji na Parmova 23, 1000 Ljubljana, Slovenia", "Parmova 23, 1000 Ljubljana, Slovenia"),
        ("Write to PO Box 2301, Anchorage, AK 99501 instead.", "PO Box 2301, Anchorage, AK 99501"),
        # One address per line, as in a signature.
        ("Jane Doe\n221B Baker Street\nLondon NW1 6XE\nUK",
         "221B Baker Street\nLondon NW1 6XE\nUK"),
    ],
)  # fmt: skip
def test_addresses_are_found_whole(text: str, address: str) -> None:
    assert _addresses(text) == [address]


@pytest.mark.parametrize(
    "text",
    [
        "I walked 3 blocks down the road",
        "I walked 3 blocks down the Road to the station.",
        "In 2019 Tom Hill said it would never sell.",
        "Windows 10, London edition, is out.",  # a name and a number, no postcode: no address
        "She was born on May 5, 1990 in Paris.",
    ],
)
def test_numbers_near_street_or_place_words_are_not_addresses(text: str) -> None:
    assert _addresses(text) == []


def test_an_address_in_a_sentence_with_a_name_is_one_entity_and_the_name_stays_out() -> None:
    text = "Please send John Smith's parcel to 42 W 5th St, Springfield, IL 62704 by Friday."
    assert _addresses(text) == ["42 W 5th St, Springfield, IL 62704"]
    assert _scan(text) == {"STREET_ADDRESS": ["42 W 5th St, Springfield, IL 62704"]}


def test_places_inside_an_address_are_not_locations_but_places_outside_are() -> None:
    text = "We met in Boston. Ship to 10 Downing St, London SW1A 2AA, UK; then fly to Paris."
    found = _scan(text)
    assert found["STREET_ADDRESS"] == ["10 Downing St, London SW1A 2AA, UK"]
    assert found["LOCATION"] == ["Boston", "Paris"]


def test_a_town_with_no_address_stays_a_location() -> None:
    assert _scan("The team in Manchester will call you back.") == {"LOCATION": ["Manchester"]}


def test_a_phone_number_after_the_postcode_is_not_swallowed() -> None:
    text = "Storgatan 12, 111 23 Stockholm\n08 123 456 78 office"
    assert _addresses(text) == ["Storgatan 12, 111 23 Stockholm"]


def test_the_recognizer_answers_only_for_its_entity() -> None:
    assert AddressRecognizer().analyze("12 Baker Street, London", ["LOCATION"]) == []
    (result,) = AddressRecognizer().analyze("12 Baker Street, London", ["STREET_ADDRESS"])
    assert (result.entity_type, result.start, result.end) == ("STREET_ADDRESS", 0, 23)
    assert result.score > 0.9  # a street line with a town after it
