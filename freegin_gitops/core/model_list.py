"""A provider's model list (``GET /models``): which ids it serves, since when, with what context
window; matching recommendations against it, and choosing what a refresh prompt shows of it.

The list comes from the provider, so it is untrusted: only ids of a plain form are ever shown to
an LLM, dates and sizes are taken only when they are plausible numbers, and matching is lenient
only in ways providers are known to differ (Gemini's ``models/`` prefix, letter case).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

# Keys under which OpenAI-compatible lists give a model's context window (Groq, OpenRouter and
# Together, Mistral, vLLM, llama.cpp, Gemini's native list).
CONTEXT_KEYS = (
    "context_window",
    "context_length",
    "max_context_length",
    "max_model_len",
    "context_size",
    "input_token_limit",
    "inputTokenLimit",
)
MAX_CONTEXT = 100_000_000
# Epoch seconds from 2001 to 2100: older or later "created" values are placeholders or errors.
_EARLIEST, _LATEST = 978_307_200, 4_102_444_800
# What an id shown in a prompt may look like: no spaces, quotes, backticks, brackets or
# control characters, so a hostile list cannot write instructions into the prompt.
_PROMPT_ID = re.compile(r"^[A-Za-z0-9@][A-Za-z0-9._:/@+-]{0,199}$")


@dataclass(frozen=True, slots=True)
class ListedModel:
    """One entry of a provider's model list."""

    id: str
    created: dt.date | None = None  # when the provider says the model was created
    context_window: int | None = None


def created_date(value: object) -> dt.date | None:
    """The UTC date of a list's ``created`` value (epoch seconds, or milliseconds), or None when
    it is not a plausible time."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    seconds = float(value)
    if seconds > _LATEST:  # milliseconds (or too late: still past _LATEST once divided)
        seconds /= 1000
    if not _EARLIEST <= seconds <= _LATEST:  # also NaN, which compares false with everything
        return None
    return dt.datetime.fromtimestamp(seconds, dt.UTC).date()


def context_window(item: Mapping[str, object]) -> int | None:
    """The context window a list entry gives, if any (a positive integer of plausible size)."""
    candidates: list[object] = [item.get(key) for key in CONTEXT_KEYS]
    top = item.get("top_provider")  # OpenRouter
    if isinstance(top, Mapping):
        candidates.append(top.get("context_length"))
    for value in candidates:
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_CONTEXT:
            return value
    return None


def listed_model(item: object) -> ListedModel | None:
    """One entry of a ``/models`` answer (an object with ``id``, ``name`` or ``model``, or a bare
    string) as a :class:`ListedModel`, or None when it names no model."""
    if isinstance(item, str):
        return ListedModel(item) if item else None
    if not isinstance(item, Mapping):
        return None
    ident = item.get("id") or item.get("name") or item.get("model")
    if not isinstance(ident, str) or not ident:
        return None
    return ListedModel(ident, created_date(item.get("created")), context_window(item))


def _forms(model_id: str) -> tuple[str, ...]:
    """Forms under which a provider may list a model: as is, without Gemini's ``models/``
    prefix, and case-folded. Suffixes such as OpenRouter's ``:free`` or Ollama's tags are kept:
    the free variant disappearing is exactly what a refresh must notice."""
    base = model_id.removeprefix("models/")
    return (model_id, base, base.casefold())


class ModelList:
    """The models a provider lists, in the order it listed them, matched leniently."""

    __slots__ = ("_by_form", "models")

    def __init__(self, models: Iterable[ListedModel]) -> None:
        unique: dict[str, ListedModel] = {}
        for model in models:
            unique.setdefault(model.id, model)
        self.models: tuple[ListedModel, ...] = tuple(unique.values())
        self._by_form: dict[str, ListedModel] = {}
        for model in self.models:
            for form in _forms(model.id):
                self._by_form.setdefault(form, model)

    @classmethod
    def of(cls, items: Iterable[str | ListedModel]) -> ModelList:
        return cls(item if isinstance(item, ListedModel) else ListedModel(item) for item in items)

    def get(self, model_id: str) -> ListedModel | None:
        """The entry that lists ``model_id`` (in any of its forms), or None."""
        for form in _forms(model_id):
            found = self._by_form.get(form)
            if found is not None:
                return found
        return None

    def __contains__(self, model_id: object) -> bool:
        return isinstance(model_id, str) and self.get(model_id) is not None

    def __len__(self) -> int:
        return len(self.models)


@dataclass(frozen=True, slots=True)
class PromptListing:
    """What a refresh prompt shows of a model list: the models the catalog does not hold yet,
    newest first, at most ``cap`` of them."""

    shown: tuple[ListedModel, ...]
    new: int  # listed models the catalog does not hold, shown or not
    total: int  # every model the list holds

    @property
    def omitted(self) -> int:
        return self.new - len(self.shown)


def prompt_listing(listed: ModelList, held: Collection[str], cap: int) -> PromptListing:
    """The models of ``listed`` that are not ``held`` (the provider file's ids), newest first
    where the list says when a model was created (the rest after them, in list order), cut to
    ``cap``. Ids of an unusual form are never shown."""
    held_forms = {form for model_id in held for form in _forms(model_id)}
    fresh = [
        (position, model)
        for position, model in enumerate(listed.models)
        if not held_forms.intersection(_forms(model.id))
    ]
    fresh.sort(
        key=lambda item: (item[1].created is None, -(item[1].created or dt.date.min).toordinal(), item[0])
    )
    showable = [model for _, model in fresh if _PROMPT_ID.match(model.id)]
    return PromptListing(tuple(showable[:cap]), len(fresh), len(listed))
