"""Build ``guardrails/_data/pii_names.json.gz``, the name list of the PERSON gazetteer.

Sources (both MIT licensed, both build-time only: neither is needed to run llmops):

* Faker's person providers (``faker.providers.person.<locale>``): the first and last names of
  every locale whose names are written in Latin script, plus the romanised lists some Asian
  locales carry. Faker is MIT licensed; its lists are compiled from national statistics and
  public name lists.
* Faker's English country names: a country (``India``, ``Jordan``) is not kept as a first name.
* english-words (``web2``, Webster's Second International, public domain): a name whose
  lower-case form is an English word (``Will``, ``Grace``, ``Brown``) is marked ambiguous, and
  the recognizer wants more evidence for it.

The evaluation data of ``benchmarks/bench_pii.py`` draws its people from FakeNameGenerator.com's
table in presidio-evaluator, not from Faker's lists, so the list is not built from the test
generator. ``--check`` measures what generalises: each locale's names against a list built from
the *other* locales only (leave one locale out), and, for information only (no choice below
depends on it), the coverage of presidio-evaluator's table. Run::

    .venv/bin/pip install 'faker>=30' english-words==2.0.2
    .venv/bin/python scripts/build_pii_names.py [--check]
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import pkgutil
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "guardrails" / "_data" / "pii_names.json.gz"
_FIRST = (
    "first_names", "first_names_male", "first_names_female", "first_names_nonbinary",
    "first_romanized_names", "first_names_male_romanized", "first_names_female_romanized",
)  # fmt: skip
_LAST = ("last_names", "last_names_male", "last_names_female", "last_romanized_names")


def _latin(word: str) -> bool:
    return all(not char.isalpha() or "LATIN" in unicodedata.name(char, "") for char in word)


def _words(values: object) -> set[str]:
    """The capitalised words of the names in a Faker attribute (tuples, lists, weighted dicts)."""
    if not isinstance(values, tuple | list | dict | set | frozenset):
        return set()
    words = set()
    for name in values:
        if not isinstance(name, str) or not _latin(name):
            continue
        for word in name.replace(".", " ").split():
            if len(word) >= 2 and word[0].isupper() and not word.isupper():
                words.add(unicodedata.normalize("NFC", word))
    return words


def faker_names() -> dict[str, dict[str, set[str]]]:
    """``locale -> {"first": names, "last": names}`` for every Faker person locale."""
    import faker.providers.person as person

    out = {}
    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        first = set().union(*(_words(getattr(provider, attr, None)) for attr in _FIRST))
        last = set().union(*(_words(getattr(provider, attr, None)) for attr in _LAST))
        if first or last:
            out[module.name] = {"first": first, "last": last}
    return out


def english_words() -> set[str]:
    """Lower-case English words (web2): a name that is also one of them is ambiguous."""
    from english_words import get_english_words_set

    return {word for word in get_english_words_set(["web2"], alpha=True) if word.islower()}


def build() -> dict[str, object]:
    import faker
    import faker.providers.address.en_US
    from spacy.lang.en.stop_words import STOP_WORDS

    names = faker_names()
    first = set().union(*(entry["first"] for entry in names.values()))
    last = set().union(*(entry["last"] for entry in names.values()))
    # A function word (An, Do, Will, So) is never taken as a name on its own evidence.
    first = {name for name in first if name.lower() not in STOP_WORDS}
    last = {name for name in last if name.lower() not in STOP_WORDS}
    # A country is not a first name on its own ("India", "Jordan", "Chad").
    countries = set(faker.providers.address.en_US.Provider.countries)
    first -= countries
    words = english_words()
    ambiguous = {name for name in first | last if name.lower() in words}
    return {
        "source": f"faker {faker.VERSION} person providers ({len(names)} locales, MIT); "
        "ambiguous: english-words web2 (public domain)",
        "locales": sorted(names),
        "first": sorted(first),
        "last": sorted(last),
        "ambiguous": sorted(ambiguous),
    }


def check() -> None:
    """Leave-one-locale-out coverage, and presidio-evaluator's table for information."""
    names = faker_names()
    for locale, entry in sorted(names.items()):
        others = [value for key, value in names.items() if key != locale]
        first = set().union(*(value["first"] for value in others))
        last = set().union(*(value["last"] for value in others))
        share_first = len(entry["first"] & first) / max(len(entry["first"]), 1)
        share_last = len(entry["last"] & last) / max(len(entry["last"]), 1)
        print(f"{locale:7} first {share_first:.2f} last {share_last:.2f}")
    try:
        from presidio_evaluator.data_generator.faker_extensions.datasets import raw_data_dir
    except ImportError:
        return
    import csv

    data = json.loads(gzip.decompress(OUT.read_bytes()))
    first, last = set(data["first"]), set(data["last"])
    with open(raw_data_dir / "FakeNameGenerator.com_3000.csv", encoding="utf-8-sig") as file:
        rows = list(csv.DictReader(file))
    given = sum(row["GivenName"] in first for row in rows) / len(rows)
    surname = sum(row["Surname"] in last for row in rows) / len(rows)
    print(f"presidio-evaluator table (information only): first {given:.2f} last {surname:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="coverage report, writes nothing")
    if parser.parse_args().check:
        check()
        return
    data = build()
    OUT.write_bytes(gzip.compress(json.dumps(data, ensure_ascii=False).encode(), mtime=0))
    print(f"{OUT}: {len(data['first'])} first, {len(data['last'])} last names")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
