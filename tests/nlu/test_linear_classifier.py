from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfTransformer

from bot.nlu.linear_classifier import (
    MODEL_FILE,
    PARTS_KEY,
    LinearIntentClassifier,
    split_counts,
    tfidf_rows,
)
from bot.nlu.tokenizer import ScriptAwareTokenizer

EXAMPLES = {
    "greet": ["hello", "hi there", "good morning", "привіт", "مرحبا", "bonjour"],
    "found_object": [
        "I found a mine",
        "there is a grenade in my garden",
        "my son picked up a strange metal thing",
        "знайшов міну",
        "لقيت لغم",
        "j'ai trouvé un obus",
    ],
    "thank": ["thanks", "thank you so much", "дякую", "شكرا", "merci beaucoup", "thx"],
}


class Pipeline:
    """The tokenizer, both featurizers of config.yml and the classifier, on one model storage."""

    def __init__(self, storage_dir: Path, config: dict[str, Any] | None = None) -> None:
        storage_dir.mkdir(parents=True, exist_ok=True)
        self.storage = LocalModelStorage(storage_dir)
        self.context = ExecutionContext(GraphSchema({}), "test")
        self.tokenizer = ScriptAwareTokenizer(ScriptAwareTokenizer.get_default_config())
        self.featurizers = [
            self._featurizer("words", {"max_ngram": 2}),
            self._featurizer("chars", {"analyzer": "char_wb", "min_ngram": 1, "max_ngram": 5}),
        ]
        self.resource = Resource("linear_intent")
        self.config = {**LinearIntentClassifier.get_default_config(), **(config or {})}

    def _featurizer(self, name: str, config: dict[str, Any]) -> CountVectorsFeaturizer:
        return CountVectorsFeaturizer.create(
            {**CountVectorsFeaturizer.get_default_config(), **config},
            self.storage,
            Resource(name),
            ExecutionContext(GraphSchema({}), name),
        )

    def featurize_training(self, data: TrainingData) -> TrainingData:
        self.tokenizer.process_training_data(data)
        for featurizer in self.featurizers:
            featurizer.train(data)
            featurizer.process_training_data(data)
        return data

    def featurize(self, messages: list[Message]) -> list[Message]:
        self.tokenizer.process(messages)
        for featurizer in self.featurizers:
            featurizer.process(messages)
        return messages

    def classifier(self) -> LinearIntentClassifier:
        return LinearIntentClassifier.create(self.config, self.storage, self.resource, self.context)

    def load(self) -> LinearIntentClassifier:
        return LinearIntentClassifier.load(self.config, self.storage, self.resource, self.context)


def training_data() -> TrainingData:
    return TrainingData(
        [Message({"text": text, "intent": intent}) for intent, texts in EXAMPLES.items() for text in texts]
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    pipeline = Pipeline(tmp_path_factory.mktemp("model"))
    pipeline.classifier().train(pipeline.featurize_training(training_data()))
    return pipeline


def parse(pipeline: Pipeline, classifier: LinearIntentClassifier, *texts: str) -> list[Message]:
    return classifier.process(pipeline.featurize([Message({"text": text}) for text in texts]))


def test_a_loaded_model_predicts_intents_in_several_scripts(trained: Pipeline) -> None:
    messages = parse(trained, trained.load(), "hello!", "I found a grenade", "дякую вам", "لقيت قنبلة")
    assert [m.get("intent")["name"] for m in messages] == ["greet", "found_object", "thank", "found_object"]


def test_the_ranking_is_sorted_probabilities_of_known_intents(trained: Pipeline) -> None:
    (message,) = parse(trained, trained.load(), "there is a mine in the garden")
    ranking = message.get("intent_ranking")
    confidences = [entry["confidence"] for entry in ranking]
    assert {entry["name"] for entry in ranking} == set(EXAMPLES)
    assert confidences == sorted(confidences, reverse=True)
    assert min(confidences) >= 0.0 and sum(confidences) == pytest.approx(1.0)
    assert message.get("intent") == ranking[0]
    assert message.as_dict_nlu()["intent"] == ranking[0]


def test_ranking_length_limits_the_ranking(tmp_path: Path) -> None:
    pipeline = Pipeline(tmp_path, {"ranking_length": 2})
    classifier = pipeline.classifier()
    classifier.train(pipeline.featurize_training(training_data()))
    (message,) = parse(pipeline, classifier, "thanks a lot")
    assert len(message.get("intent_ranking")) == 2


def test_training_is_reproducible(tmp_path: Path) -> None:
    rankings = []
    for run in ("a", "b"):
        pipeline = Pipeline(tmp_path / run)
        classifier = pipeline.classifier()
        classifier.train(pipeline.featurize_training(training_data()))
        (message,) = parse(pipeline, classifier, "strange metal thing near the school")
        rankings.append(message.get("intent_ranking"))
    assert rankings[0] == rankings[1]


NO_INTENT = {"name": None, "confidence": 0.0}


def test_a_message_without_text_or_features_gets_no_intent(trained: Pipeline) -> None:
    classifier = trained.load()
    empty = Message({"text": ""})
    featureless = Message({"text": "hello"})
    button = Message({"text": "/help", "intent": {"name": "help", "confidence": 1.0}})
    classifier.process([empty, featureless, button])
    # the FallbackClassifier after it turns "no intent" into the did-you-mean menu
    assert empty.get("intent") == NO_INTENT and featureless.get("intent") == NO_INTENT
    assert featureless.get("intent_ranking") == []
    assert button.get("intent") == {"name": "help", "confidence": 1.0}


def test_no_examples_gives_an_untrained_component_that_changes_nothing(tmp_path: Path) -> None:
    pipeline = Pipeline(tmp_path)
    pipeline.classifier().train(TrainingData([Message({"text": "hello"})]))
    (message,) = parse(pipeline, pipeline.load(), "hello")
    assert message.get("intent") == NO_INTENT


def test_a_model_file_with_foreign_types_is_refused(tmp_path: Path) -> None:
    import skops.io as sio

    pipeline = Pipeline(tmp_path)
    with pipeline.storage.write_to(pipeline.resource) as directory:
        sio.dump({"classifier": Path("somewhere")}, directory / MODEL_FILE)
    with pytest.raises(ValueError, match="never writes"):
        pipeline.load()


def test_split_counts_are_the_heads_then_the_tails_of_the_tokens() -> None:
    rows = scipy.sparse.csr_matrix(np.array([[1, 0, 0], [0, 2, 0], [0, 0, 3]]))
    assert split_counts(rows).toarray().tolist() == [
        [1, 0, 0],  # head before cut 1
        [1, 2, 0],  # head before cut 2
        [0, 2, 3],  # tail from cut 1
        [0, 0, 3],  # tail from cut 2
    ]


def test_each_cut_of_a_message_in_two_is_classified(trained: Pipeline) -> None:
    # A thank-you and a found object in one message: some cut separates the two.
    (message,) = parse(trained, trained.load(), "thank you so much, I found a grenade")
    parts = message.get(PARTS_KEY)
    assert [part["cut"] for part in parts] == list(range(1, len(message.get("text_tokens"))))
    assert ("thank", "found_object") in {(part["head"], part["tail"]) for part in parts}
    (short,) = parse(trained, trained.load(), "hello")
    assert short.get(PARTS_KEY) is None  # one token: nothing to cut


def test_the_fast_tfidf_rows_are_the_transformers() -> None:
    counts = scipy.sparse.csr_matrix(np.array([[3, 0, 1, 0], [0, 0, 0, 0], [1, 2, 0, 5], [0, 1, 1, 0]]))
    weights = TfidfTransformer(sublinear_tf=True).fit(counts)
    expected = weights.transform(counts).toarray()
    assert tfidf_rows(counts, weights.idf_).toarray() == pytest.approx(expected)
