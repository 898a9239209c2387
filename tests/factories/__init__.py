"""factory_boy factories, one module per app (one factory per model)."""

from tests.factories.core import (
    TEST_PASSWORD,
    ContributorFactory,
    MaintainershipFactory,
    ProjectFactory,
    UserFactory,
)

__all__ = [
    "TEST_PASSWORD",
    "ContributorFactory",
    "MaintainershipFactory",
    "ProjectFactory",
    "UserFactory",
]
