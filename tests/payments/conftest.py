import pytest

from eid.public import Department
from tests.factories import DepartmentFactory, OfficerMembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def _tasks_in_process(eager_unless_worker: None) -> None:
    """See tests/conftest.py: tasks run in process here unless a test is marked `worker`."""


class FakeService:
    """What payments needs of a service: its slug and owning department."""

    def __init__(self, slug: str = "parking", department_code: str = "td") -> None:
        self.slug = slug
        self.department_code = department_code


@pytest.fixture
def transport(db: None) -> Department:
    return DepartmentFactory(code="td", name_en="Transport Department")


@pytest.fixture
def service(transport: Department) -> FakeService:
    return FakeService()


@pytest.fixture
def payer(db: None) -> object:
    return UserFactory()


@pytest.fixture
def cashier(transport: Department) -> object:
    return OfficerMembershipFactory(department=transport).user
