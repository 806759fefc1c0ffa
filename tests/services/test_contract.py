"""Every registered service passes the shared contract suite."""

import pytest

from services.base import ServiceApp
from services.registry import register
from services.testing import ServiceContractTests


class TestEveryRegisteredService(ServiceContractTests):
    """The contract, parametrised over the global registry."""

    @pytest.fixture(params=[service.slug for service in register])
    def service(self, request: pytest.FixtureRequest) -> ServiceApp:
        return register.get(request.param)


def test_the_registry_holds_the_inbox() -> None:
    assert "inbox" in register
