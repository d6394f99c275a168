"""How every component reads its arguments: parsed once into a typed, frozen object.

Each component declares its arguments as a frozen dataclass deriving from :class:`ComponentArgs`:
one field per argument, its default stated once (the field's default), its meaning in the field's
docstring. Users pass an instance or a plain mapping; :meth:`ComponentArgs.parse` refuses an
unknown name (naming it, the closest allowed name, and all allowed names) and a missing required
one before anything registers, and ``__post_init__`` checks values with the shared checks below.

Example:
    @dataclass(frozen=True, kw_only=True)
    class QueueArgs(ComponentArgs):
        max_receive_count: int = 5
        \"\"\"Deliveries before a message moves to the dead-letter queue, 1-1000.\"\"\"

        def __post_init__(self) -> None:
            in_range("max_receive_count", self.max_receive_count, 1, 1000)

    QueueArgs.parse({"max_recieve_count": 3}, owner="Queue 'jobs'")
    # ComponentArgsError: Queue 'jobs': unknown argument 'max_recieve_count' (did you mean
    # 'max_receive_count'?); QueueArgs takes: max_receive_count
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Collection, Mapping
from typing import Any, Self, TypeVar

import pulumi

T = TypeVar("T")


class ComponentArgsError(ValueError):
    """A component was given arguments that cannot work; the message names the argument."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class ComponentArgs:
    """Base of every component's arguments (see the module docstring)."""

    @classmethod
    def names(cls) -> list[str]:
        """The argument names this component takes, in declaration order."""
        return [field.name for field in dataclasses.fields(cls)]

    @classmethod
    def parse(cls, given: Self | Mapping[str, Any] | None, *, owner: str) -> Self:
        """``given`` as this args type; unknown, missing or invalid arguments raise, naming them.

        ``owner`` (e.g. ``"Queue 'jobs'"``) starts every error message.
        """
        if isinstance(given, cls):
            return given
        if given is None:
            given = {}
        if not isinstance(given, Mapping):
            raise ComponentArgsError(
                f"{owner}: args must be a {cls.__name__} or a mapping, not {type(given).__name__}"
            )
        allowed = cls.names()
        for key in given:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ComponentArgsError(
                    f"{owner}: unknown argument {key!r}{hint}; {cls.__name__} takes: "
                    f"{', '.join(allowed)}"
                )
        missing = [
            field.name
            for field in dataclasses.fields(cls)
            if field.default is dataclasses.MISSING
            and field.default_factory is dataclasses.MISSING
            and field.name not in given
        ]
        if missing:
            raise ComponentArgsError(f"{owner}: missing required argument(s) {', '.join(missing)}")
        try:
            return cls(**given)
        except ComponentArgsError as error:
            raise ComponentArgsError(f"{owner}: {error}") from None


def is_known(value: object) -> bool:
    """False for a value only known at deploy time (a Pulumi Output): it cannot be checked now."""
    return not isinstance(value, pulumi.Output)


def in_range(name: str, value: Any, low: int, high: int) -> None:
    """Refuse ``value`` unless it is an integer in ``low..high`` (a deploy-time Output passes)."""
    if not is_known(value):
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ComponentArgsError(f"{name}={value!r} must be an integer in {low}..{high}")


def one_of(name: str, value: Any, choices: Collection[T]) -> None:
    """Refuse ``value`` unless it is one of ``choices`` (a deploy-time Output passes)."""
    if not is_known(value):
        return
    # True == 1 in Python: a flag must not pass for a number (log_retention_days=True)
    mistaken_flag = isinstance(value, bool) and not any(isinstance(c, bool) for c in choices)
    if mistaken_flag or value not in choices:
        listed = ", ".join(repr(choice) for choice in choices)
        raise ComponentArgsError(f"{name}={value!r}; use one of {listed}")


def refuse(message: str) -> None:
    """Refuse a combination of arguments; ``message`` names the arguments involved."""
    raise ComponentArgsError(message)
