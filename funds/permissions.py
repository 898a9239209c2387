"""funds: who may do what. Reconciliation is for staff only; others get 404."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def is_fund_administrator(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_staff", False))


def staff_only(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Staff see the page; everyone else gets a 404, as if it did not exist."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_fund_administrator(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
