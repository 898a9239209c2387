"""One way to change a status, for every model that has one.

`transition` locks the row, is a no-op when it is already in the target state
(replays are harmless), checks the caller's map of allowed moves (raising the
caller's domain error), saves the status with the fields the caller gives,
then lets the caller write its own event row (``PaymentEvent``,
``PledgeChange``, ``BallotEvent``) and writes the audit entry. It imports no
app: each app passes its map, its error class and its callbacks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from librery.services import log_action

M = TypeVar("M", bound=models.Model)

STATUS_FIELD = "status"


def status_label(instance: models.Model, value: str) -> str:
    """The human name of a status `value` of `instance`'s model (the value if unknown)."""
    field = instance._meta.get_field(STATUS_FIELD)  # noqa: SLF001 -- Django's public API
    choices = dict(getattr(field, "flatchoices", []))
    return str(choices.get(value, value))


def refused_message(instance: models.Model, to_status: str) -> str:
    """The default refusal: names the object and both statuses."""
    return _("%(object)s #%(id)s cannot go from “%(from)s” to “%(to)s”.") % {
        "object": capfirst(str(instance._meta.verbose_name)),  # noqa: SLF001 -- public API
        "id": instance.pk,
        "from": status_label(instance, getattr(instance, STATUS_FIELD)),
        "to": status_label(instance, to_status),
    }


def transition(
    *,
    instance: M,
    to_status: str,
    transitions: Mapping[str, frozenset[str]],
    action: str,
    error_cls: Callable[[Any], Exception],
    actor: Any = None,
    message: Callable[[M, str], Any] | None = None,
    fields: Mapping[str, Any] | None = None,
    prepare: Callable[[M], Iterable[str]] | None = None,
    event: Callable[[M, str], object] | None = None,
    data: Mapping[str, Any] | Callable[[M, str], Mapping[str, Any]] | None = None,
    went_through: Callable[[M], bool] | None = None,
    locked: bool = False,
) -> tuple[M, bool]:
    """Move `instance` to `to_status`; returns the locked row and whether it changed.

    Under ``atomic()`` and ``select_for_update(of=("self",))``:

    - already in `to_status`: nothing happens, ``(row, False)``;
    - a move `transitions` does not allow: ``(row, False)`` if `went_through`
      says the row already went through `to_status` (a late report), else
      ``raise error_cls(message(row, to_status))`` (default message: the
      object and both statuses, translated);
    - else `prepare(row)` may change the row (or raise to refuse) and returns
      the names of the fields it changed; the status and `fields` are set and
      saved with ``update_fields`` (plus ``updated_at`` when the model has
      one); `event(row, previous_status)` writes the caller's event; and the
      audit entry `action` is logged with `data` (or `data(row, previous_status)`).

    With `locked`, `instance` is a row the caller locked in its open transaction:
    it is used as it is, with neither a savepoint nor a second read (a hot path
    such as booking a payment counts its statements).
    """
    model = type(instance)
    if locked and not transaction.get_connection().in_atomic_block:
        raise RuntimeError("A row passed as locked needs its transaction open.")
    with transaction.atomic(savepoint=not locked):
        row = (
            instance
            if locked
            else model._default_manager.select_for_update(of=("self",)).get(  # noqa: SLF001
                pk=instance.pk
            )
        )
        previous = str(getattr(row, STATUS_FIELD))
        if previous == to_status:
            return row, False
        if to_status not in transitions.get(previous, frozenset()):
            if went_through is not None and went_through(row):
                return row, False
            build = message or refused_message
            raise error_cls(build(row, to_status))
        changed = list(prepare(row)) if prepare is not None else []
        setattr(row, STATUS_FIELD, to_status)
        for name, value in (fields or {}).items():
            setattr(row, name, value)
        update_fields = [STATUS_FIELD, *(fields or {}), *changed]
        names = {field.name for field in model._meta.concrete_fields}  # noqa: SLF001
        if "updated_at" in names:
            update_fields.append("updated_at")
        row.save(update_fields=list(dict.fromkeys(update_fields)))
        if event is not None:
            event(row, previous)
        audit = data(row, previous) if callable(data) else data
        log_action(action=action, obj=row, actor=actor, data=dict(audit or {}))
    return row, True
