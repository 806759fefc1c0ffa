"""/healthz: the database always, the broker when configured; JSON; 503 when unhealthy."""

from unittest import mock

from django.db import OperationalError


def test_healthz_reports_ok(client: object, db: None, settings: object) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    if settings.CELERY_BROKER_URL:
        assert body["checks"]["broker"] == "ok"
    else:
        assert body["checks"]["broker"].startswith("not configured")


def test_healthz_is_503_when_the_database_fails(client: object, db: None) -> None:
    with mock.patch("portal.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "error: OperationalError"


def test_healthz_is_503_when_a_configured_broker_is_unreachable(
    client: object, db: None, settings: object
) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("error")
