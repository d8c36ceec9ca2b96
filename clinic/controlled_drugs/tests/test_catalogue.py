"""The catalogue's drugs, safes and suppliers are corrected and taken out of use, never deleted,
and every change is kept in the item's history."""

from decimal import Decimal

import pytest
from django.urls import reverse

from clinic.controlled_drugs import services
from clinic.controlled_drugs.forms import ReceiveForm
from clinic.controlled_drugs.ledger import LedgerRefused
from clinic.controlled_drugs.models import Drug, Safe, Supplier
from clinic.controlled_drugs.tests.factories import make_safe, make_supplier
from clinic.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def drug_values(drug, **changes):
    values = {
        "inn": drug.inn,
        "brand": drug.brand,
        "dosage_form": drug.dosage_form,
        "concentration_mg_per_ml": drug.concentration_mg_per_ml,
        "unit_content_mg": drug.unit_content_mg,
        "unit_of_account": drug.unit_of_account,
    }
    return {**values, **changes}


def test_a_drug_without_entries_is_corrected_and_the_change_kept(officer, drug):
    services.change_drug(
        drug,
        values=drug_values(drug, brand="Кетамін-Здоровʼя", unit_content_mg=Decimal("50")),
        actor=officer,
    )
    drug.refresh_from_db()
    assert (drug.brand, drug.unit_content_mg) == ("Кетамін-Здоровʼя", Decimal("50"))
    event = AuditEvent.objects.get(action="drugs.catalogue.drug_changed")
    assert "brand:" in event.reason and "unit_content_mg:" in event.reason


def test_the_strength_of_a_drug_with_entries_stays_and_nothing_changes(officer, drug, receipt):
    before = Drug.objects.values().get(pk=drug.pk)
    with pytest.raises(LedgerRefused, match="new presentation"):
        services.change_drug(
            drug, values=drug_values(drug, unit_content_mg=Decimal("500")), actor=officer
        )
    assert Drug.objects.values().get(pk=drug.pk) == before
    assert not AuditEvent.objects.filter(action="drugs.catalogue.drug_changed").exists()
    # The names can still be corrected.
    services.change_drug(drug, values=drug_values(drug, brand="Калипсол"), actor=officer)
    assert Drug.objects.get(pk=drug.pk).brand == "Калипсол"


def test_a_safe_with_stock_stays_in_use_an_empty_one_retires_and_returns(officer, kyiv, holding):
    with pytest.raises(LedgerRefused, match="still holds stock"):
        services.set_in_use(holding.safe, in_use=False, actor=officer)
    assert Safe.objects.get(pk=holding.safe.pk).is_active
    empty = make_safe(kyiv, "Шафа 2")
    services.set_in_use(empty, in_use=False, actor=officer)
    assert not Safe.objects.get(pk=empty.pk).is_active
    with pytest.raises(LedgerRefused):
        services.set_in_use(empty, in_use=False, actor=officer)
    services.set_in_use(empty, in_use=True, actor=officer)
    actions = list(
        AuditEvent.objects.filter(object_id=str(empty.public_id))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["drugs.catalogue.retired", "drugs.catalogue.restored"]


def test_a_retired_supplier_is_not_offered_for_a_receipt(officer, kyiv):
    supplier = make_supplier()
    form = ReceiveForm(site=kyiv)
    assert supplier in form.fields["supplier"].queryset
    services.set_in_use(supplier, in_use=False, actor=officer)
    assert supplier not in ReceiveForm(site=kyiv).fields["supplier"].queryset
    assert Supplier.objects.filter(pk=supplier.pk).exists()  # kept for the entries naming it


def test_only_a_drug_officer_changes_the_catalogue(nurse, drug):
    with pytest.raises(LedgerRefused):
        services.change_drug(drug, values=drug_values(drug, brand="X"), actor=nurse)
    assert Drug.objects.get(pk=drug.pk).brand != "X"


def test_the_item_page_saves_a_change_and_shows_the_history(client, officer, kyiv):
    supplier = make_supplier()
    client.force_login(officer)
    url = reverse("controlled_drugs:supplier_change", args=[supplier.pk])
    response = client.post(
        url, {"action": "save", "name": "ТОВ «Фарма-Опт Плюс»", "tax_code": "12345678"}
    )
    assert response.status_code == 302
    supplier.refresh_from_db()
    assert (supplier.name, supplier.tax_code) == ("ТОВ «Фарма-Опт Плюс»", "12345678")
    page = client.get(url).content.decode()
    assert "ТОВ «Фарма-Опт» → ТОВ «Фарма-Опт Плюс»" in page
    # Bad input: a clear message, nothing changed, nothing audited as a change.
    response = client.post(url, {"action": "save", "name": "", "tax_code": "12"})
    assert response.status_code == 400
    assert Supplier.objects.get(pk=supplier.pk).tax_code == "12345678"
    assert AuditEvent.objects.filter(action="drugs.catalogue.supplier_changed").count() == 1


def test_a_refused_retirement_from_the_page_is_audited_and_changes_nothing(
    client, officer, holding
):
    client.force_login(officer)
    url = reverse("controlled_drugs:safe_change", args=[holding.safe.public_id])
    response = client.post(url, {"action": "retire"})
    assert response.status_code == 400
    assert "У цьому сейфі ще є залишок" in response.content.decode()
    assert Safe.objects.get(pk=holding.safe.pk).is_active
    assert AuditEvent.objects.filter(outcome="denied", action__startswith="drugs").count() == 1


def test_another_sites_safe_is_not_found(client, users, lviv):
    from clinic.accounts.roles import Role

    client.force_login(users[(Role.DRUG_OFFICER, "kyiv")])
    other = make_safe(lviv, "Сейф Львів")
    url = reverse("controlled_drugs:safe_change", args=[other.public_id])
    assert client.post(url, {"action": "retire"}).status_code == 404
    assert Safe.objects.get(pk=other.pk).is_active


# --- The substance code: ketamine known by a flag, its name in the page's language ----------


def test_the_infusions_draw_from_the_drug_marked_ketamine_whatever_its_inn_spelling(
    officer, safe, kyiv
):
    from clinic.controlled_drugs.models import Substance
    from clinic.controlled_drugs.selectors import ketamine_holdings
    from clinic.controlled_drugs.tests.factories import make_drug, receive
    from clinic.treatment.links import is_ketamine

    marked = make_drug("ketamine-hcl", inn="Ketamine hydrochloride", substance=Substance.KETAMINE)
    unmarked = make_drug("other-50", inn="Esketamine", substance="")
    receive(officer, safe, marked, batch="KT-1")
    receive(officer, safe, unmarked, batch="ES-1")
    holdings = list(ketamine_holdings(kyiv))
    assert [h.lot.drug for h in holdings] == [marked]
    assert is_ketamine(holdings[0])


def test_the_drug_is_named_in_the_pages_language_and_the_register_keeps_its_inn(drug):
    from django.utils import translation

    with translation.override("uk"):
        assert str(drug) == "Кетамін (Кетамін-Здоров'я)"
    with translation.override("en"):
        assert str(drug) == "Ketamine (Кетамін-Здоров'я)"
    assert Drug.objects.get(pk=drug.pk).inn == "Ketamine"  # the legal name, as entered


def test_the_catalogue_marks_a_new_drug_as_ketamine(client, officer):
    client.force_login(officer)
    response = client.post(
        reverse("controlled_drugs:catalogue"),
        {
            "form": "drug",
            "drug-code": "ketamine-10",
            "drug-inn": "Ketaminum",
            "drug-substance": "ketamine",
            "drug-dosage_form": "injection_solution",
            "drug-concentration_mg_per_ml": "10",
            "drug-unit_content_mg": "200",
            "drug-unit_of_account": "vial",
        },
    )
    assert response.status_code == 302
    drug = Drug.objects.get(code="ketamine-10")
    assert (drug.inn, drug.substance) == ("Ketaminum", "ketamine")
