import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError

from clinic.accounts.roles import Role

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200


def test_readyz_reports_the_database(client):
    assert client.get("/readyz").json() == {"status": "ok"}


def test_readyz_says_503_when_the_database_is_down(client, monkeypatch):
    from django.db import connection

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503


def test_a_database_outage_gives_503_with_retry_after(client, users, monkeypatch):
    client.force_login(users[(Role.PHYSICIAN, "kyiv")])
    client.raise_request_exception = False

    def outage(request):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("clinic.core.navigation.navigation_for", outage)
    response = client.get("/staff/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert (
        "half a minute" in response.content.decode() or "пів хвилини" in response.content.decode()
    )


def test_other_errors_give_the_500_page(client, users, monkeypatch):
    client.force_login(users[(Role.PHYSICIAN, "kyiv")])
    client.raise_request_exception = False

    def bug(request):
        raise ValueError("a bug")

    monkeypatch.setattr("clinic.core.navigation.navigation_for", bug)
    response = client.get("/staff/")
    assert response.status_code == 500
    assert "Retry-After" not in response


@pytest.mark.parametrize(
    "language,text", [("uk", "Сторінку не знайдено"), ("en", "Page not found")]
)
def test_the_404_page_speaks_both_languages(client, language, text):
    client.cookies["django_language"] = language
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert text in response.content.decode()


def test_responses_carry_a_strict_content_security_policy(client):
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "false",
        "SECRET_KEY": "k" * 30 + "-a-long-random-production-secret-value-0123456789",
        "ALLOWED_HOSTS": "clinic.example.org",
        "SECURE_COOKIES": "true",
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_PRELOAD": "true",
        "BEHIND_TLS_PROXY": "true",
        "EMAIL_HOST": "smtp.example.org",
        "SQLITE_PATH": str(tmp_path / "deploy.sqlite3"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_rejects_the_development_defaults(tmp_path):
    env = {**os.environ, "DEBUG": "false", "SQLITE_PATH": str(tmp_path / "d.sqlite3")}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stdout + result.stderr


def test_ukrainian_is_the_default_whatever_the_browser_prefers(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="uk">' in response.content.decode()


def test_the_language_switch_is_remembered(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert '<html lang="en">' in client.get("/accounts/login/").content.decode()


def test_static_files_are_hashed_and_compressed_for_production(tmp_path):
    env = {
        **os.environ,
        "COMPRESS_STATIC": "true",
        "STATIC_ROOT": str(tmp_path / "static"),
        "SQLITE_PATH": str(tmp_path / "s.sqlite3"),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    css = list((tmp_path / "static" / "css").glob("app.*.css"))
    assert css, "no hashed stylesheet"
    assert Path(f"{css[0]}.gz").exists() and Path(f"{css[0]}.br").exists()


def test_the_stylesheet_closes_every_block_it_opens():
    # An unclosed `@media print {` silently turns every later rule into a print-only rule.
    from django.conf import settings

    css = (settings.BASE_DIR / "clinic" / "static" / "css" / "app.css").read_text()
    depth = 0
    for number, line in enumerate(css.splitlines(), 1):
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"line {number} closes a block that was never opened"
        if line.startswith("@media"):
            assert depth == 1, f"line {number} opens @media inside another block"
    assert depth == 0
