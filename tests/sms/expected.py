"""The SMS the channel must send for a response, composed as the channel composes them."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from bot.nlg import ResponseContext, build_renderer
from bot.paths import project_paths
from bot.sms import DEFAULT_SEGMENT_BUDGET
from bot.sms.budget import more_title
from bot.sms.compose import OutgoingSms, compose
from tests.factories import PROJECT_ROOT

RENDERER = build_renderer(project_paths(PROJECT_ROOT))


def composed(
    key: str,
    language: str,
    country: str,
    buttons: Sequence[Mapping[str, Any]] = (),
    values: Mapping[str, Any] | None = None,
) -> OutgoingSms:
    """Response `key` (with an action's extra `buttons`) in `language` with `country`'s profile, as SMS."""
    context = ResponseContext(language, RENDERER.profile(country))
    rendered = RENDERER.render(key, context, "sms", dict(values or {}))
    assert rendered is not None, key
    options = [*(rendered.get("buttons") or []), *buttons]
    return compose(str(rendered["text"]), options, DEFAULT_SEGMENT_BUDGET, more_title(RENDERER, context))


def pages(
    key: str,
    language: str,
    country: str,
    buttons: Sequence[Mapping[str, Any]] = (),
    values: Mapping[str, Any] | None = None,
) -> list[str]:
    """The SMS pages of `key`, in the order "More" brings them."""
    return [page.body for page in composed(key, language, country, buttons, values).pages]


def one(key: str, language: str, country: str, values: Mapping[str, Any] | None = None) -> str:
    """The one SMS of `key` (a response that fits one page)."""
    [body] = pages(key, language, country, values=values)
    return body
