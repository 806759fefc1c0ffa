"""The service catalogue: every service, filterable by department and category, in each language."""

import pytest

from services.base import Category


@pytest.fixture
def ogcio(db: None) -> object:
    from tests.factories import DepartmentFactory

    return DepartmentFactory(code="ogcio", name_en="Digital Policy Office", name_zh_hant="數字政策辦公室")


def test_the_catalogue_lists_the_inbox_in_english(client: object, ogcio: object) -> None:
    response = client.get("/en/services/")
    assert response.status_code == 200
    assert b"Message inbox" in response.content
    assert b"Digital Policy Office" in response.content


def test_the_catalogue_lists_service_and_department_names_in_traditional_chinese(
    client: object, ogcio: object
) -> None:
    response = client.get("/zh-hant/services/")
    content = response.content.decode()
    assert "訊息收件匣" in content and "數字政策辦公室" in content
    assert 'lang="zh-hant"' in content


def test_filtering_by_department_and_category(client: object, ogcio: object) -> None:
    from tests.factories import DepartmentFactory

    DepartmentFactory(code="td")
    assert b"Message inbox" in client.get("/en/services/", {"department": "ogcio"}).content
    assert b"Message inbox" not in client.get("/en/services/", {"department": "td"}).content
    assert b"Message inbox" in client.get("/en/services/", {"category": Category.COMMUNICATION}).content
    assert b"Message inbox" not in client.get("/en/services/", {"category": Category.HEALTH}).content


@pytest.mark.parametrize(
    "params", [{"department": "no-such-dept"}, {"category": "gardening"}, {"department": "x" * 5000}]
)
def test_an_unknown_filter_value_is_a_400_with_a_message(client: object, ogcio: object, params: dict) -> None:
    response = client.get("/en/services/", params)
    assert response.status_code == 400
    assert b"There is a problem" in response.content
    assert b"Select a valid choice" in response.content


def test_the_catalogue_costs_a_constant_number_of_queries(
    client: object, ogcio: object, django_assert_max_num_queries: object
) -> None:
    with django_assert_max_num_queries(3):
        client.get("/en/services/")
