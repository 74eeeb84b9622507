"""Babel extractors: every response text and button title of domain.yml is a msgid, and
every text of a survey (content/surveys/*.yml).

`extract_domain` is registered in pyproject.toml (`babel.extractors`) and used by babel.cfg
as `[domain: domain.yml]`; `extract_surveys` is named in babel.cfg's `[extractors]` section.
"""

from __future__ import annotations

from typing import IO, Any, Collection, Iterator, Mapping, Optional

import yaml

from bot.responses import is_only_placeholders

Extracted = tuple[int, Optional[str], str, list[str]]


def _get(node: yaml.Node, key: str) -> Optional[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return value_node
    return None


def _scalar(node: Optional[yaml.Node]) -> Optional[yaml.ScalarNode]:
    return node if isinstance(node, yaml.ScalarNode) and node.value else None


def iter_response_messages(text: str) -> Iterator[tuple[int, str, str]]:
    """Yield (line, response name, message) for each translatable string of a domain."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    responses = _get(root, "responses") if root is not None else None
    if not isinstance(responses, yaml.MappingNode):
        return
    for name_node, variations in responses.value:
        if not isinstance(variations, yaml.SequenceNode):
            continue
        for variation in variations.value:
            candidates = [_scalar(_get(variation, "text"))]
            buttons = _get(variation, "buttons")
            if isinstance(buttons, yaml.SequenceNode):
                candidates += [_scalar(_get(button, "title")) for button in buttons.value]
            for node in candidates:
                if node is not None and not is_only_placeholders(node.value):
                    yield node.start_mark.line + 1, name_node.value, node.value


def extract_domain(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Babel extraction method: (lineno, funcname, message, translator comments)."""
    encoding = str(options.get("encoding", "utf-8"))
    text = fileobj.read().decode(encoding)
    for line, name, message in iter_response_messages(text):
        yield line, None, message, [name]


def iter_survey_messages(text: str) -> Iterator[tuple[int, str, str]]:
    """Yield (line, where in the survey, message) for each text of a survey file."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    for field in ("title", "intro"):
        node = _scalar(_get(root, field)) if root is not None else None
        if node is not None:
            yield node.start_mark.line + 1, f"survey:{field}", node.value
    questions = _get(root, "questions") if root is not None else None
    for question in questions.value if isinstance(questions, yaml.SequenceNode) else []:
        question_id = _scalar(_get(question, "id"))
        name = f"survey:{question_id.value if question_id else '?'}"
        node = _scalar(_get(question, "text"))
        if node is not None:
            yield node.start_mark.line + 1, name, node.value
        options = _get(question, "options")
        for option in options.value if isinstance(options, yaml.SequenceNode) else []:
            option_id = _scalar(_get(option, "id"))
            node = _scalar(_get(option, "text"))
            if node is not None:
                yield node.start_mark.line + 1, f"{name}:{option_id.value if option_id else '?'}", node.value
    node = _scalar(_get(root, "closing")) if root is not None else None
    if node is not None:
        yield node.start_mark.line + 1, "survey:closing", node.value


def extract_campaign(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Babel extraction method for content/campaigns/<name>.yml: its `text` and `sms`, each with
    the comment `campaign:NAME:FIELD` (babel.cfg names this function directly)."""
    # Imported here: babel imports this module for domain.yml too, which needs none of it.
    from pathlib import Path

    from bot.outreach.campaigns import campaign_messages

    encoding = str(options.get("encoding", "utf-8"))
    name = Path(str(getattr(fileobj, "name", "campaign"))).stem
    for line, note, message in campaign_messages(fileobj.read().decode(encoding), name):
        yield line, None, message, [note]


def extract_surveys(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Babel extraction method for survey files: (lineno, funcname, message, translator comments)."""
    encoding = str(options.get("encoding", "utf-8"))
    text = fileobj.read().decode(encoding)
    for line, name, message in iter_survey_messages(text):
        yield line, None, message, [name]
