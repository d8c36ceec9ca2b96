from datetime import timedelta

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.accounts.roles import Role
from clinic.controlled_drugs import services
from clinic.controlled_drugs.access import (
    get_count_for,
    get_drug_for,
    get_entry_for,
    get_holding_for,
    get_safe_for,
    get_supplier_for,
)
from clinic.controlled_drugs.forms import (
    AdministrationForm,
    CountForm,
    DrugChangeForm,
    DrugForm,
    JournalForm,
    ReceiveForm,
    ResidueForm,
    ResolveForm,
    ReversalForm,
    SafeForm,
    SupplierForm,
    TransferForm,
    WriteOffForm,
)
from clinic.controlled_drugs.ledger import LedgerRefused
from clinic.controlled_drugs.models import (
    Drug,
    Holding,
    Kind,
    LedgerEntry,
    Safe,
    StockCount,
    StockCountLine,
    Supplier,
)
from clinic.controlled_drugs.selectors import (
    balances_at,
    expiring_lots,
    expiry_warning_days,
    journal,
    unaccounted_mg,
)
from clinic.controlled_drugs.witness import authenticate_witness
from clinic.core.audit import audit
from clinic.core.exports import csv_response, render_pdf
from clinic.core.models import AuditEvent
from clinic.core.policy import staff
from clinic.core.refusals import refused
from clinic.locations.models import Site
from clinic.locations.selectors import current_site

OFFICER = (Role.DRUG_OFFICER,)
ADMINISTERING = (Role.NURSE, Role.PHYSICIAN)
REGISTER = (Role.DRUG_OFFICER, Role.NURSE, Role.PHYSICIAN)
RESIDUE = REGISTER


def _no_site(request):
    return render(request, "controlled_drugs/no_site.html")


def _witness(request, form, *, site):
    """The authenticated witness when the form needs one, else None. Raises WitnessRefused."""
    if not form.needs_witness(form.cleaned_data):
        return None
    return authenticate_witness(
        request, **form.witness_credentials(), actor=request.user, site=site
    )


@staff(*REGISTER)
def overview(request):
    site = current_site(request)
    if site is None:
        return _no_site(request)
    is_officer = request.user.has_role(Role.DRUG_OFFICER)
    pending = (
        LedgerEntry.objects.administrations_pending_residue({site.pk})
        .select_related("patient", "lot__drug", "actor")
        .order_by("recorded_at")
    )
    audit(request.user, "drugs.overview.viewed", site=site)
    return render(
        request,
        "controlled_drugs/overview.html",
        {
            "site": site,
            "holdings": balances_at(site),
            "expiring": expiring_lots({site.pk}),
            "warning_until": timezone.localdate() + timedelta(days=expiry_warning_days()),
            "pending": pending,
            "discrepancies": StockCountLine.objects.open_discrepancies({site.pk}).select_related(
                "count__safe", "holding__lot__drug"
            )
            if is_officer
            else [],
            "safes": Safe.objects.filter(site=site, is_active=True),
            "counts": StockCount.objects.filter(site=site).select_related("safe", "actor")[:10],
            "recent": LedgerEntry.objects.at_sites({site.pk})
            .for_pages()
            .order_by("-recorded_at", "-id")[:15],
            "is_officer": is_officer,
        },
    )


@staff(*OFFICER)
def receive(request):
    site = current_site(request)
    if site is None:
        return _no_site(request)
    form = ReceiveForm(request.POST or None, site=site)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.receive_stock(**form.cleaned_data, actor=request.user)
        except LedgerRefused as refusal:
            refused(request, refusal, site=site, form=form)
        else:
            messages.success(
                request,
                _("Received %(quantity)s mg of lot %(lot)s.")
                % {"quantity": f"{entry.quantity_mg.normalize():f}", "lot": entry.lot.batch_number},
            )
            return redirect("controlled_drugs:entry_detail", entry_id=entry.public_id)
    return render(request, "controlled_drugs/receive.html", {"form": form, "site": site})


@staff(*ADMINISTERING)
def administer(request):
    site = current_site(request)
    if site is None:
        return _no_site(request)
    form = AdministrationForm(request.POST or None, site=site)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            witness = _witness(request, form, site=site)
            administration, _residue = services.record_administration_with_residue(
                lot=data["holding"].lot,
                safe=data["holding"].safe,
                patient=data["patient"],
                drawn_mg=data["drawn_mg"],
                administered_mg=data["administered_mg"],
                witness=witness,
                act_number=data["act_number"],
                prescribed_by=data["prescribed_by"],
                note=data["note"],
                actor=request.user,
            )
        except LedgerRefused as refusal:
            refused(request, refusal, patient=data["patient"], site=site, form=form)
        else:
            messages.success(request, _("The administration has been recorded."))
            return redirect("controlled_drugs:entry_detail", entry_id=administration.public_id)
    return render(request, "controlled_drugs/administer.html", {"form": form, "site": site})


def _entry_page(request, entry, *, residue_form=None, reversal_form=None, status=200):
    user = request.user
    open_mg = unaccounted_mg(entry) if entry.kind == Kind.ADMINISTRATION else None
    can_destroy = bool(open_mg) and user.has_role(*RESIDUE)
    can_reverse = (
        user.has_role(*OFFICER)
        and entry.kind not in (Kind.REVERSAL, Kind.COUNT_ADJUSTMENT)
        and not entry.is_reversed
    )
    return render(
        request,
        "controlled_drugs/entry_detail.html",
        {
            "entry": entry,
            "unaccounted_mg": open_mg,
            "residues": entry.residue_entries.select_related("witness", "actor", "reversed_by")
            if entry.kind == Kind.ADMINISTRATION
            else [],
            "transfer_pair": LedgerEntry.objects.filter(transfer_id=entry.transfer_id)
            .exclude(pk=entry.pk)
            .select_related("safe", "holding")
            .first()
            if entry.transfer_id and entry.kind != Kind.REVERSAL
            else None,
            "residue_form": (residue_form or ResidueForm(initial={"quantity_mg": open_mg}))
            if can_destroy
            else None,
            "reversal_form": (reversal_form or ReversalForm()) if can_reverse else None,
        },
        status=status,
    )


@staff(*REGISTER, object_rule="controlled_drugs.access.get_entry_for")
def entry_detail(request, entry_id):
    entry = get_entry_for(request.user, entry_id)
    audit(request.user, "drugs.entry.viewed", entry.patient, obj=entry, site=entry.site)
    return _entry_page(request, entry)


@staff(*RESIDUE, object_rule="controlled_drugs.access.get_entry_for")
@require_POST
def destroy_residue(request, entry_id):
    entry = get_entry_for(request.user, entry_id)
    form = ResidueForm(request.POST)
    if form.is_valid():
        try:
            witness = _witness(request, form, site=entry.site)
            services.record_residue_destruction(
                administration=entry,
                quantity_mg=form.cleaned_data["quantity_mg"],
                act_number=form.cleaned_data["act_number"],
                actor=request.user,
                witness=witness,
            )
        except LedgerRefused as refusal:
            refused(request, refusal, patient=entry.patient, obj=entry, site=entry.site, form=form)
        else:
            messages.success(request, _("The destruction of the residue has been recorded."))
            return redirect("controlled_drugs:entry_detail", entry_id=entry.public_id)
    return _entry_page(request, entry, residue_form=form, status=400)


@staff(*OFFICER, object_rule="controlled_drugs.access.get_entry_for")
@require_POST
def reversal(request, entry_id):
    entry = get_entry_for(request.user, entry_id)
    form = ReversalForm(request.POST)
    if form.is_valid():
        try:
            witness = _witness(request, form, site=entry.site)
            services.reverse_entry(
                entry, reason=form.cleaned_data["reason"], actor=request.user, witness=witness
            )
        except LedgerRefused as refusal:
            refused(request, refusal, patient=entry.patient, obj=entry, site=entry.site, form=form)
        else:
            messages.success(request, _("The entry has been reversed."))
            return redirect("controlled_drugs:entry_detail", entry_id=entry.public_id)
    return _entry_page(request, entry, reversal_form=form, status=400)


def _holding_page(request, holding, *, transfer_form=None, write_off_form=None, status=200):
    is_officer = request.user.has_role(*OFFICER)
    return render(
        request,
        "controlled_drugs/holding_detail.html",
        {
            "holding": holding,
            "entries": holding.entries.select_related(
                "actor", "witness", "patient", "reverses", "reversed_by"
            ).order_by("seq"),
            "transfer_form": (transfer_form or TransferForm(holding=holding))
            if is_officer and holding.balance_mg > 0
            else None,
            "write_off_form": (write_off_form or WriteOffForm())
            if is_officer and holding.balance_mg > 0
            else None,
        },
        status=status,
    )


@staff(*REGISTER, object_rule="controlled_drugs.access.get_holding_for")
def holding_detail(request, holding_id):
    holding = get_holding_for(request.user, holding_id)
    audit(request.user, "drugs.holding.viewed", obj=holding, site=holding.safe.site)
    return _holding_page(request, holding)


@staff(*OFFICER, object_rule="controlled_drugs.access.get_holding_for")
@require_POST
def transfer(request, holding_id):
    holding = get_holding_for(request.user, holding_id)
    form = TransferForm(request.POST, holding=holding)
    if form.is_valid():
        try:
            services.transfer_stock(holding=holding, **form.cleaned_data, actor=request.user)
        except LedgerRefused as refusal:
            refused(request, refusal, obj=holding, site=holding.safe.site, form=form)
        else:
            messages.success(request, _("The stock has been moved."))
            return redirect("controlled_drugs:holding_detail", holding_id=holding.public_id)
    return _holding_page(request, holding, transfer_form=form, status=400)


@staff(*OFFICER, object_rule="controlled_drugs.access.get_holding_for")
@require_POST
def write_off(request, holding_id):
    holding = get_holding_for(request.user, holding_id)
    form = WriteOffForm(request.POST)
    if form.is_valid():
        try:
            witness = _witness(request, form, site=holding.safe.site)
            services.record_stock_destruction(
                holding=holding,
                quantity_mg=form.cleaned_data["quantity_mg"],
                reason=form.cleaned_data["reason"],
                act_number=form.cleaned_data["act_number"],
                actor=request.user,
                witness=witness,
            )
        except LedgerRefused as refusal:
            refused(request, refusal, obj=holding, site=holding.safe.site, form=form)
        else:
            messages.success(request, _("The write-off has been recorded."))
            return redirect("controlled_drugs:holding_detail", holding_id=holding.public_id)
    return _holding_page(request, holding, write_off_form=form, status=400)


@staff(*OFFICER, object_rule="controlled_drugs.access.get_safe_for")
def count(request, safe_id):
    safe = get_safe_for(request.user, safe_id)
    holdings = (
        Holding.objects.filter(safe=safe, balance_mg__gt=0)
        .select_related("lot__drug")
        .order_by("lot__drug__inn", "lot__expires_on")
    )
    form = CountForm(request.POST or None, holdings=holdings)
    if request.method == "POST" and form.is_valid():
        try:
            witness = _witness(request, form, site=safe.site)
            stock_count = services.record_count(
                safe=safe,
                lines=form.lines(),
                actor=request.user,
                witness=witness,
                note=form.cleaned_data["note"],
            )
        except LedgerRefused as refusal:
            refused(request, refusal, obj=safe, site=safe.site, form=form)
        else:
            messages.success(request, _("The count has been recorded."))
            return redirect("controlled_drugs:count_detail", count_id=stock_count.public_id)
    return render(
        request,
        "controlled_drugs/count.html",
        {"safe": safe, "form": form},
        status=400 if form.is_bound else 200,
    )


def _count_page(request, stock_count, *, resolve_form=None, failed_line=None, status=200):
    return render(
        request,
        "controlled_drugs/count_detail.html",
        {
            "count": stock_count,
            "lines": stock_count.lines.select_related(
                "holding__lot__drug", "adjustment", "resolution__resolved_by"
            ),
            "resolve_form": resolve_form or ResolveForm(),
            "failed_line": failed_line,
        },
        status=status,
    )


@staff(*OFFICER, object_rule="controlled_drugs.access.get_count_for")
def count_detail(request, count_id):
    stock_count = get_count_for(request.user, count_id)
    audit(request.user, "drugs.count.viewed", obj=stock_count, site=stock_count.site)
    return _count_page(request, stock_count)


@staff(*OFFICER, object_rule="controlled_drugs.access.get_count_for")
@require_POST
def resolve(request, count_id, line_id):
    stock_count = get_count_for(request.user, count_id)
    line = stock_count.lines.filter(pk=line_id).select_related("count__site", "holding").first()
    form = ResolveForm(request.POST)
    if line is not None and form.is_valid():
        try:
            services.resolve_discrepancy(line, text=form.cleaned_data["text"], actor=request.user)
        except LedgerRefused as refusal:
            refused(request, refusal, obj=stock_count, site=stock_count.site, form=form)
        else:
            messages.success(request, _("The discrepancy has been resolved."))
            return redirect("controlled_drugs:count_detail", count_id=stock_count.public_id)
    elif line is None:
        form.add_error(None, _("This line is not part of the count."))
    return _count_page(request, stock_count, resolve_form=form, failed_line=line_id, status=400)


def _journal_form(request):
    sites = Site.objects.filter(pk__in=request.user.site_ids)
    today = timezone.localdate()
    site = current_site(request)
    initial = {
        "site": site,
        "drug": Drug.objects.first(),
        "start": today - timedelta(days=30),
        "end": today,
    }
    data = request.GET if "site" in request.GET else None
    form = JournalForm(data, sites=sites, initial=initial)
    return form


def _journal_for(request, form):
    data = form.cleaned_data
    register = journal(site=data["site"], drug=data["drug"], start=data["start"], end=data["end"])
    audit(
        request.user,
        "drugs.journal.viewed",
        site=data["site"],
        reason=f"{data['drug'].code} {data['start']}..{data['end']}",
    )
    return register


@staff(*OFFICER)
def journal_page(request):
    form = _journal_form(request)
    register = _journal_for(request, form) if form.is_bound and form.is_valid() else None
    return render(
        request,
        "controlled_drugs/journal.html",
        {
            "form": form,
            "journal": register,
            "query": request.GET.urlencode(),
            "template_name": JOURNAL_PDF_TEMPLATE,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


# The centre can lay the official form out differently by overriding this template
# (templates/controlled_drugs/journal_pdf.html in the project's template directory).
JOURNAL_PDF_TEMPLATE = "controlled_drugs/journal_pdf.html"


def render_journal_pdf(register, *, request) -> bytes:
    html = render_to_string(
        JOURNAL_PDF_TEMPLATE,
        {"journal": register, "printed_at": timezone.now(), "printed_by": request.user},
        request=request,
    )
    return render_pdf(html)


# WeasyPrint lays out about a page a second; a month of a busy site is some ten pages. Longer
# periods are printed month by month (as the paper journal is kept) or exported as CSV.
MAX_PDF_DAYS = 31


@staff(*OFFICER)
def journal_pdf(request):
    form = _journal_form(request)
    if not (form.is_bound and form.is_valid()):
        return redirect("controlled_drugs:journal")
    data = form.cleaned_data
    if (data["end"] - data["start"]).days >= MAX_PDF_DAYS:
        messages.error(
            request,
            _("Print one month at a time; the CSV holds any period up to a year."),
        )
        return redirect(f"{reverse('controlled_drugs:journal')}?{request.GET.urlencode()}")
    register = _journal_for(request, form)
    response = HttpResponse(render_journal_pdf(register, request=request), "application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_filename(register)}.pdf"'
    return response


def _filename(register) -> str:
    return f"journal-{register.site.code}-{register.drug.code}-{register.start}-{register.end}"


@staff(*OFFICER)
def journal_csv(request):
    form = _journal_form(request)
    if not (form.is_bound and form.is_valid()):
        return redirect("controlled_drugs:journal")
    register = _journal_for(request, form)
    header = [
        _("No."),
        _("Date and time"),
        _("Movement"),
        _("Document"),
        _("Lot"),
        _("Expiry date"),
        _("Safe"),
        _("Received, mg"),
        _("Issued, mg"),
        _("Patient"),
        _("Prescribed by"),
        _("Drawn, mg"),
        _("Administered, mg"),
        _("Recorded by"),
        _("Witness"),
        _("Balance of the lot in the safe, mg"),
        _("Balance, mg"),
        _("Reason or note"),
    ]
    return csv_response(f"{_filename(register)}.csv", header, _journal_rows(register))


def _journal_rows(register):
    yield ["", "", _("Opening balance"), *[""] * 13, register.opening_mg, ""]
    for row in register.rows:
        entry = row.entry
        yield [
            row.number,
            timezone.localtime(entry.recorded_at).strftime("%d.%m.%Y %H:%M"),
            entry.get_kind_display(),
            " ".join(filter(None, [str(entry.supplier or ""), entry.document_number])),
            entry.lot.batch_number,
            entry.lot.expires_on.strftime("%d.%m.%Y"),
            entry.safe.name,
            row.received_mg or "",
            row.issued_mg or "",
            f"{entry.patient.record_number} {entry.patient.full_name}" if entry.patient else "",
            entry.prescribed_by.full_name if entry.prescribed_by else "",
            entry.drawn_mg if entry.drawn_mg is not None else "",
            entry.administered_mg if entry.administered_mg is not None else "",
            entry.actor.full_name,
            entry.witness.full_name if entry.witness else "",
            entry.balance_after_mg,
            row.balance_mg,
            entry.reason,
        ]
    yield ["", "", _("Closing balance"), *[""] * 13, register.closing_mg, ""]


@staff(*OFFICER)
def catalogue(request):
    site = current_site(request)
    posted = request.POST.get("form")
    forms_by_name = {
        name: form_class(request.POST if posted == name else None, prefix=name)
        for name, form_class in (("drug", DrugForm), ("safe", SafeForm), ("supplier", SupplierForm))
    }
    if request.method == "POST":
        name = posted
        form = forms_by_name.get(name)
        if form is not None and form.is_valid():
            try:
                if name == "drug":
                    services.add_drug(**form.cleaned_data, actor=request.user)
                elif name == "safe":
                    if site is None:
                        raise LedgerRefused(_("You are not assigned to a site."))
                    services.add_safe(site=site, **form.cleaned_data, actor=request.user)
                else:
                    services.add_supplier(**form.cleaned_data, actor=request.user)
            except LedgerRefused as refusal:
                refused(request, refusal, site=site, form=form)
            else:
                messages.success(request, _("The catalogue has been updated."))
                return redirect("controlled_drugs:catalogue")
    return render(
        request,
        "controlled_drugs/catalogue.html",
        {
            "site": site,
            "drugs": Drug.objects.all(),
            "safes": Safe.objects.filter(site=site) if site else [],
            "suppliers": Supplier.objects.all(),
            "forms": forms_by_name,
        },
        status=400 if request.method == "POST" else 200,
    )


# Changing and retiring catalogue entries ------------------------------------------------------


def _catalogue_item_page(request, item, form, *, kind, site=None):
    """Edit an item, or take it out of use (or back); every change is kept in its history."""
    if request.method == "POST":
        try:
            if request.POST.get("action") in ("retire", "restore"):
                in_use = request.POST["action"] == "restore"
                services.set_in_use(item, in_use=in_use, actor=request.user)
                messages.success(
                    request,
                    _("Back in use.") if in_use else _("Out of use; kept with its history."),
                )
                return redirect("controlled_drugs:catalogue")
            if form.is_valid():
                change = {
                    "drug": lambda: services.change_drug(
                        item, values=form.cleaned_data, actor=request.user
                    ),
                    "safe": lambda: services.change_safe(
                        item, **form.cleaned_data, actor=request.user
                    ),
                    "supplier": lambda: services.change_supplier(
                        item, **form.cleaned_data, actor=request.user
                    ),
                }[kind]
                change()
                messages.success(request, _("The catalogue has been updated."))
                return redirect("controlled_drugs:catalogue")
        except LedgerRefused as refusal:
            # A refused change is shown on its form; a refused retirement above the forms.
            bound = form if form.is_bound else None
            refused(request, refusal, site=site, obj=item, form=bound)
    history = AuditEvent.objects.filter(
        object_type=item._meta.label_lower,
        object_id=str(getattr(item, "public_id", item.pk)),
        action__startswith="drugs.catalogue.",
        outcome=AuditEvent.Outcome.SUCCESS,
    ).order_by("-at", "-pk")[:50]
    return render(
        request,
        "controlled_drugs/catalogue_item.html",
        {"item": item, "form": form, "kind": kind, "history": history},
        status=400 if request.method == "POST" else 200,
    )


@staff(*OFFICER, object_rule="controlled_drugs.access.get_drug_for")
def drug_change(request, drug_id):
    drug = get_drug_for(request.user, drug_id)
    initial = {
        field: getattr(drug, field) for field in DrugChangeForm.base_fields if field != "code"
    }
    data = request.POST if request.POST.get("action") == "save" else None
    return _catalogue_item_page(request, drug, DrugChangeForm(data, initial=initial), kind="drug")


@staff(*OFFICER, object_rule="controlled_drugs.access.get_safe_for")
def safe_change(request, safe_id):
    safe = get_safe_for(request.user, safe_id)
    data = request.POST if request.POST.get("action") == "save" else None
    initial = {"name": safe.name, "count_every_hours": safe.count_every_hours}
    return _catalogue_item_page(
        request, safe, SafeForm(data, initial=initial), kind="safe", site=safe.site
    )


@staff(*OFFICER, object_rule="controlled_drugs.access.get_supplier_for")
def supplier_change(request, supplier_id):
    supplier = get_supplier_for(request.user, supplier_id)
    initial = {"name": supplier.name, "tax_code": supplier.tax_code}
    data = request.POST if request.POST.get("action") == "save" else None
    return _catalogue_item_page(
        request, supplier, SupplierForm(data, initial=initial), kind="supplier"
    )
