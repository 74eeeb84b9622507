"""The shape of an NLU component that reads a content file NGO staff edit.

The safety net's terms, the keyword commands and the lesson topics are not
trained: they are read from content/ on first use (no I/O at import time or at
graph construction), relative to $BOT_HOME or the current directory, so staff
edits take effect at the next start without retraining.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, Dict, Generic, Optional, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

from bot.paths import project_paths

Content = TypeVar("Content")


class ContentComponent(GraphComponent, ABC, Generic[Content]):
    """A component whose content is read once from the path in its `CONTENT_KEY` config entry."""

    CONTENT_KEY: ClassVar[str]

    def __init__(self, config: Dict[str, Any], content: Optional[Content] = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._content = content

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        """Create the component; its content is read on first use."""
        return cls(config)

    @staticmethod
    @abstractmethod
    def read(path: Path) -> Content:
        """Read the content at `path`."""

    @property
    def content(self) -> Content:
        """The content, read once (a relative path is under $BOT_HOME or the cwd)."""
        if self._content is None:
            self._content = self.read(project_paths().root / Path(self._config[self.CONTENT_KEY]))
        return self._content
