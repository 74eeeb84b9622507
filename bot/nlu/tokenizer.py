"""Rasa tokenizer that segments each script with the right tool (a graph component).

Khmer runs go through khmer-nltk (its CRF model ships in the package), Latin,
Cyrillic and Arabic runs through spaCy's blank tokenizers, anything else is
split on spaces. Each token keeps its original text and offsets; its lemma is
the normalised form (bot.nlu.normalise) that the featurizers use.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.i18n import LanguageDetector
from bot.nlu.normalise import normalise
from bot.nlu.segment import Segmenter, segment

SPACY_LANGUAGES = ("en", "fr", "es", "uk", "ar")


def spacy_segmenter(language: str) -> Segmenter:
    """spaCy's rule-based tokenizer for `language` (no model, nothing downloaded)."""
    # Imported on first use: spaCy is heavy and only some languages need it.
    import spacy

    tokenizer = spacy.blank(language).tokenizer

    def cut(text: str) -> list[tuple[str, int, int]]:
        return [(t.text, t.idx, t.idx + len(t.text)) for t in tokenizer(text) if not t.is_space]

    return cut


def khmer_segmenter() -> Segmenter:
    """khmer-nltk's word segmentation, with offsets recovered in the original run."""
    # Imported on first use: khmer-nltk loads its model at import.
    from khmernltk import word_tokenize

    def cut(text: str) -> list[tuple[str, int, int]]:
        spans = []
        cursor = 0
        for word in word_tokenize(text):
            at = text.find(word, cursor)
            if not word.strip() or at < 0:
                continue
            spans.append((word, at, at + len(word)))
            cursor = at + len(word)
        return spans

    return cut


def latin_segmenter(detector: LanguageDetector, by_language: Dict[str, Segmenter]) -> Segmenter:
    """Pick the English, French or Spanish rules (elisions, clitics) by detected language."""

    def cut(text: str) -> list[tuple[str, int, int]]:
        detection = detector.detect(text)
        language = detection.language if detection and detection.language in by_language else "en"
        return by_language[language](text)

    return cut


def build_segmenters() -> Dict[str, Segmenter]:
    """Segmenters for every script we support (loads spaCy and khmer-nltk)."""
    spacy_cuts = {language: spacy_segmenter(language) for language in SPACY_LANGUAGES}
    detector = LanguageDetector.offline()
    latin = {k: spacy_cuts[k] for k in ("en", "fr", "es")}
    return {
        "latin": latin_segmenter(detector, latin),
        "cyrillic": spacy_cuts["uk"],
        "arabic": spacy_cuts["ar"],
        "khmer": khmer_segmenter(),
    }


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class ScriptAwareTokenizer(Tokenizer):
    """Tokenizes Khmer, Arabic, Cyrillic and Latin text, normalising tokens for features."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """The component's default config (the same keys as Rasa's tokenizers)."""
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    def __init__(
        self,
        config: Dict[str, Any],
        segmenters: Optional[Dict[str, Segmenter]] = None,
        build: Callable[[], Dict[str, Segmenter]] = build_segmenters,
    ) -> None:
        super().__init__(config)
        self._segmenters = segmenters
        self._build = build

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ScriptAwareTokenizer:
        """Create the component; the segmenters load on first use."""
        return cls(config)

    @property
    def segmenters(self) -> Dict[str, Segmenter]:
        """Segmenters by script, built once."""
        if self._segmenters is None:
            self._segmenters = self._build()
        return self._segmenters

    def tokenize(self, message: Message, attribute: str) -> List[Token]:
        """Tokens with original text and offsets; the lemma is the normalised form."""
        text = message.get(attribute) or ""
        tokens = []
        for word, start, end in segment(text, self.segmenters):
            lemma = normalise(word)
            if lemma:
                tokens.append(Token(word, start, end, lemma=lemma))
        if not tokens:
            tokens = [Token(text, 0, len(text), lemma=normalise(text) or text)]
        return self._apply_token_pattern(tokens)
