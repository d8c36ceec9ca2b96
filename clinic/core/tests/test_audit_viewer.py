import ast
import csv
import io
import re
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

import clinic
from clinic.accounts.roles import Role
from clinic.conftest import authenticate_recently, make_patient
from clinic.core.audit import ACTION_LABELS, action_label, audit
from clinic.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(users):
    return users[(Role.ADMINISTRATOR, "kyiv")]


@pytest.fixture
def history(users, kyiv, lviv):
    nurse = users[(Role.NURSE, "kyiv")]
    k1, k2 = make_patient(kyiv, "K-1"), make_patient(kyiv, "K-2")
    l1 = make_patient(lviv, "L-1")
    with time_machine.travel("2026-11-01 10:00 +02:00", tick=False):
        audit(nurse, "patient.chart.viewed", k1)
    with time_machine.travel("2026-11-10 10:00 +02:00", tick=False):
        audit(nurse, "patient.chart.viewed", k2)
        audit(users[(Role.PHYSICIAN, "kyiv")], "patient.chart.viewed", k1, reason="=HYPERLINK(1)")
    audit(users[(Role.NURSE, "lviv")], "patient.chart.viewed", l1)
    return {"nurse": nurse}


def rows_of(response):
    # Each event's action cell carries its code in the title, its label as the text.
    return [line for line in response.content.decode().splitlines() if '<td title="' in line]


def test_administrator_filters_by_patient(client, admin, history):
    client.force_login(admin)
    response = client.get("/staff/audit/", {"patient": "k-1"})
    assert len(rows_of(response)) == 2


def test_administrator_filters_by_actor_and_dates(client, admin, history):
    client.force_login(admin)
    response = client.get(
        "/staff/audit/",
        {"actor": "nurse.kyiv", "date_from": "2026-11-05", "date_to": "2026-11-10"},
    )
    assert len(rows_of(response)) == 1


def test_administrator_sees_only_their_sites_events(client, admin, history):
    client.force_login(admin)
    response = client.get("/staff/audit/", {"action": "patient.chart"})
    assert len(rows_of(response)) == 3
    assert "L-1" not in response.content.decode()


def test_a_reversed_date_range_is_refused_with_a_message(client, admin, history):
    client.force_login(admin)
    response = client.get("/staff/audit/", {"date_from": "2026-11-10", "date_to": "2026-11-01"})
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()


def test_garbage_filters_do_not_break_the_page(client, admin, history):
    client.force_login(admin)
    response = client.get("/staff/audit/", {"date_from": "yesterday", "page": "-1\x00"})
    assert response.status_code == 200


def test_viewing_the_audit_log_is_itself_audited(client, admin, history):
    client.force_login(admin)
    client.get("/staff/audit/", {"patient": "K-1"})
    event = AuditEvent.objects.get(action="audit.viewed")
    assert event.actor == admin
    assert "patient=K-1" in event.reason


def test_csv_export_holds_the_filtered_rows_and_is_audited(client, admin, history):
    client.force_login(admin)
    authenticate_recently(client, admin)
    response = client.get("/staff/audit/export.csv", {"patient": "K-1"})
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:4] == ["seq", "time", "actor", "action"]
    assert len(rows) == 3
    assert {row[5] for row in rows[1:]} == {"K-1"}
    # A formula in a cell is defused for spreadsheets.
    assert any(row[11] == "'=HYPERLINK(1)" for row in rows[1:])
    assert AuditEvent.objects.filter(action="audit.exported", actor=admin).count() == 1


def test_audit_log_query_count_does_not_grow(
    client, admin, history, users, kyiv, django_assert_max_num_queries
):
    client.force_login(admin)
    with django_assert_max_num_queries(30) as few:
        client.get("/staff/audit/")
    patient = make_patient(kyiv, "K-9")
    for _ in range(40):
        audit(history["nurse"], "patient.chart.viewed", patient)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/staff/audit/")


def test_csv_export_asks_to_re_authenticate_after_a_while(client, admin, history):
    client.force_login(admin)
    authenticate_recently(client, admin, seconds_ago=301)
    response = client.get("/staff/audit/export.csv", {"patient": "K-1"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not AuditEvent.objects.filter(action="audit.exported").exists()
    back = client.post(response["Location"], {"password": "correct horse battery"})
    assert back["Location"] == "/staff/audit/export.csv?patient=K-1"
    assert client.get(back["Location"])["Content-Type"].startswith("text/csv")
    assert AuditEvent.objects.filter(action="audit.exported", actor=admin).count() == 1


def test_actions_are_shown_in_words_in_both_languages(client, admin, history):
    client.force_login(admin)
    client.cookies["django_language"] = "uk"
    ukrainian = client.get("/staff/audit/", {"patient": "K-2"}).content.decode()
    assert '<td title="patient.chart.viewed">Картку переглянуто</td>' in ukrainian
    client.cookies["django_language"] = "en"
    english = client.get("/staff/audit/", {"patient": "K-2"}).content.decode()
    assert '<td title="patient.chart.viewed">Chart opened</td>' in english


def test_an_unknown_action_code_is_shown_as_written(client, admin, users, kyiv):
    audit(admin, "something.new.happened", site=kyiv)
    client.force_login(admin)
    page = client.get("/staff/audit/", {"action": "something.new"}).content.decode()
    assert '<td title="something.new.happened">something.new.happened</td>' in page
    assert action_label("something.new.happened") == "something.new.happened"


def test_every_label_has_a_ukrainian_translation():
    with translation.override("en"):
        english = {code: str(label) for code, label in ACTION_LABELS.items()}
    with translation.override("uk"):
        same = {code for code, label in ACTION_LABELS.items() if str(label) == english[code]}
    assert not same


def written_action_codes() -> dict[str, str]:
    """Action codes the code base writes as literals: `audit(actor, "x.y")`, refusal codes
    (`code = "x.refused"`, `code=`/`action=` arguments) and `audit_as=` verbs."""

    def strings(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
        elif isinstance(node, ast.IfExp):
            yield from strings(node.body)
            yield from strings(node.orelse)

    codes = {}
    root = Path(clinic.__file__).parent
    for path in root.rglob("*.py"):
        if {"tests", "migrations"} & set(path.parts):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            found = []
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name == "audit" and len(node.args) > 1:
                    found += strings(node.args[1])
                for keyword in node.keywords:
                    if keyword.arg in ("code", "action", "audit_as"):
                        found += strings(keyword.value)
            elif isinstance(node, ast.Assign) and any(
                getattr(t, "id", None) in ("code", "action") for t in node.targets
            ):
                found += strings(node.value)
            for code in found:
                if ACTION_CODE.match(code):
                    codes.setdefault(code, f"{path.relative_to(root)}:{node.lineno}")
    return codes


ACTION_CODE = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")


def test_every_action_code_written_has_a_label():
    codes = written_action_codes()
    assert "patient.chart.viewed" in codes and "schedule.refused" in codes  # the scan works
    missing = {code: where for code, where in codes.items() if code not in ACTION_LABELS}
    assert not missing, f"add these to ACTION_LABELS in core/audit.py: {missing}"
