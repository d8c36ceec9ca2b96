import csv
import io
import logging
import socket
from decimal import Decimal

import pytest

from clinic.core.exports import csv_cell, csv_response, render_pdf


def read(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def test_csv_cells_cannot_start_a_formula():
    for text in ("=HYPERLINK(1)", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert csv_cell(text) == "'" + text
    assert csv_cell("Іваненко") == "Іваненко"
    assert csv_cell(None) == ""


def test_numbers_take_a_decimal_comma_and_stay_numbers():
    assert csv_cell(Decimal("400.000")) == "400,000"
    assert csv_cell(Decimal("-2.5")) == "-2,5"  # a number, not a formula
    assert csv_cell(0.5) == "0,5"
    assert csv_cell(1e-7) == "0,0000001"
    assert csv_cell(-3) == "-3"
    assert csv_cell(True) == "True"


def test_the_file_has_a_bom_and_semicolons_for_ukrainian_excel():
    response = csv_response(
        "report.csv", ["Назва", "Доза, мг"], [["Кетамін; 50 мг", Decimal("12.5")], ["=1+1", 3]]
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="report.csv"'
    text = read(response)
    assert text.startswith("\ufeffНазва;Доза, мг\r\n")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert rows == [["Назва", "Доза, мг"], ["Кетамін; 50 мг", "12,5"], ["'=1+1", "3"]]


def test_the_file_name_cannot_break_the_header_or_name_a_folder():
    response = csv_response('../a"b\r\n.csv', ["x"], [])
    assert response["Content-Disposition"] == 'attachment; filename="-a\\"b.csv"'


def test_a_ukrainian_file_name_is_encoded_for_the_browser():
    response = csv_response("Журнал №5.csv", ["x"], [])
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%D0%96%D1%83%D1%80%D0%BD%D0%B0%D0%BB%20%E2%84%965.csv"
    )


@pytest.fixture
def no_network(monkeypatch):
    """Fails the test on any attempt to open a connection."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError("the PDF renderer tried to open a connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def test_a_pdf_never_fetches_a_network_or_file_url(no_network, caplog):
    html = """<html><head><link rel="stylesheet" href="http://127.0.0.1:9/x.css">
    <style>body { background: url("https://127.0.0.1:9/bg.png") }</style></head>
    <body><p>Пацієнт</p><img src="http://127.0.0.1:9/x.png"><img src="file:///etc/passwd">
    <img src="../settings.py"></body></html>"""
    with caplog.at_level(logging.WARNING, logger="clinic.core.exports"):
        pdf = render_pdf(html)
    assert pdf.startswith(b"%PDF-")
    assert no_network == []
    refused = " ".join(r.getMessage() for r in caplog.records if r.name == "clinic.core.exports")
    assert "http://127.0.0.1:9/x.png" in refused
    assert "http://127.0.0.1:9/x.css" in refused
    assert "file:///etc/passwd" in refused
    assert "/clinic/settings.py" in refused  # a relative path cannot climb out of static/


def test_a_pdf_may_use_the_packaged_static_files_and_inline_images(no_network, caplog):
    pixel = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
        "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )
    html = f'<link rel="stylesheet" href="css/app.css"><p>x</p><img src="{pixel}">'
    with caplog.at_level(logging.WARNING, logger="clinic.core.exports"):
        pdf = render_pdf(html)
    assert pdf.startswith(b"%PDF-")
    assert not [r for r in caplog.records if r.name == "clinic.core.exports"]
