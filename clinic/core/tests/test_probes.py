"""Health probes under production settings, asked from the host itself."""

from unittest import mock

import pytest
from django.db import OperationalError, connection

from clinic.accounts.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["clinic.example"]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "127.0.0.1:8000"])
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_200_from_localhost_under_production_settings(client, production, host, path):
    response = client.get(path, headers={"host": host})
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_other_pages_still_check_the_host_and_redirect_to_https(client, production):
    assert client.get("/staff/", headers={"host": "127.0.0.1"}).status_code == 400
    response = client.get("/staff/", headers={"host": "clinic.example"})
    assert response.status_code == 301
    assert response["Location"] == "https://clinic.example/staff/"


def test_healthz_with_a_session_cookie_answers_while_the_database_is_down(
    client, production, users
):
    client.force_login(users[(Role.NURSE, "kyiv")])
    with mock.patch.object(
        connection, "ensure_connection", side_effect=OperationalError("server closed")
    ):
        assert client.get("/healthz", headers={"host": "localhost"}).status_code == 200
        # Readiness does ask the database, and says it is not there.
        response = client.get("/readyz", headers={"host": "localhost"})
    assert response.status_code == 503
    assert response.json() == {"status": "database unavailable"}
