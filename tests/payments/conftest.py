from collections.abc import Iterator

import pytest

from eid.public import Department
from tests.factories import DepartmentFactory, OfficerMembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def eager_unless_worker(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests not marked `worker` apply webhook events in process even when a broker is configured."""
    if request.node.get_closest_marker("worker"):
        yield
        return
    from portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous


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
