"""The Rasa component boilerplate shared by our policies whose configuration is all they have.

Not registered as a component itself (abstract): config.yml names the policies that inherit it.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Dict, List, Optional, Type, TypeVar

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

_Self = TypeVar("_Self", bound="ConfigOnlyPolicy")


class ConfigOnlyPolicy(Policy):
    """A policy that learns nothing and persists nothing: training only checks its configuration.

    It is certain of the action `choose_action` returns and has no opinion when that is None.
    """

    # True when the prediction does not depend on the user's message (Rasa then does not
    # let it be overridden by a prediction that does).
    no_user_prediction: bool = False

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
    ) -> None:
        super().__init__(
            {**self.get_default_config(), **config}, model_storage, resource, execution_context, featurizer
        )

    @abstractmethod
    def check_domain(self, domain: Domain) -> None:
        """Raise InvalidConfigException when the configuration names what the domain lacks."""

    @abstractmethod
    def choose_action(self, tracker: DialogueStateTracker, domain: Domain) -> Optional[str]:
        """The action to take now, or None to leave the turn to the other policies."""

    def train(
        self,
        training_trackers: List[TrackerWithCachedStates],
        domain: Domain,
        **kwargs: Any,
    ) -> Resource:
        """Nothing to learn; checks the configuration against the domain."""
        self.check_domain(domain)
        return self._resource

    @classmethod
    def load(
        cls: Type[_Self],
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> _Self:
        """Nothing was persisted: the configuration is all there is."""
        return cls({**config, **kwargs}, model_storage, resource, execution_context)

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[str, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """Certain of the chosen action, no opinion without one."""
        action = self.choose_action(tracker, domain)
        probabilities = self._default_predictions(domain)
        if action is None:
            return self._prediction(probabilities)
        probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities, is_no_user_prediction=self.no_user_prediction)
