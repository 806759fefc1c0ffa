"""A table of bad inputs over the foundation's pages: each a 4xx with a message, never a 500."""

import pytest
from django.test import Client

from tests.factories import MessageFactory

HUGE_ID = "9" * 40

CASES = [
    # (method, path, data, expected status, text shown)
    ("get", "/en/services/?department=%00", None, 400, "There is a problem"),
    ("get", "/en/services/?category=" + "x" * 10_000, None, 400, "Select a valid choice"),
    ("get", "/zh-hant/services/?category=gardening", None, 400, "出現問題"),
    ("get", "/en/services/?department=%ff%fe", None, 400, "There is a problem"),
    ("get", f"/en/services/inbox/{HUGE_ID}/", None, 404, "Page not found"),
    ("post", f"/en/services/inbox/{HUGE_ID}/mark/", {}, 404, "Page not found"),
    ("get", "/en/services/inbox/?page=-1", None, 200, "Message inbox"),
    ("get", "/en/services/inbox/?page=" + "9" * 400, None, 200, "Message inbox"),
    ("get", "/en/eid/step-up/?level=99&next=javascript:alert(1)", None, 403, "higher level"),
    ("get", "/en/eid/step-up/?level=" + "1" * 5000, None, 403, "higher level"),
    ("get", f"/en/back-office/messages/{HUGE_ID}/", None, 404, "Page not found"),
    ("post", "/en/services/inbox/read-all/", {"x": "y" * (3 * 1024 * 1024)}, 400, "Bad request"),
    ("post", "/en/services/inbox/read-all/", {f"f{i}": "1" for i in range(1200)}, 400, "Bad request"),
    ("get", "/zh-hant/no/such/page/", None, 404, "找不到網頁"),
]


@pytest.mark.parametrize(("method", "path", "data", "status", "text"), CASES)
def test_bad_input_gets_a_clear_4xx(
    resident: object, method: str, path: str, data: dict | None, status: int, text: str
) -> None:
    MessageFactory(recipient=resident)
    # Enforcing CSRF makes the middleware read the body first, as it does for every real browser POST.
    client = Client(raise_request_exception=False, enforce_csrf_checks=bool(data))
    client.force_login(resident)
    if data:
        client.get("/en/services/inbox/")
        data = {"csrfmiddlewaretoken": client.cookies["csrftoken"].value, **data}
    response = getattr(client, method)(path, data) if data is not None else getattr(client, method)(path)
    assert response.status_code == status, response.content[:500]
    assert text in response.content.decode()
    assert "Traceback" not in response.content.decode()
