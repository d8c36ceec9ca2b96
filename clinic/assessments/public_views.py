"""The patient's side of a self-report link: no login, one question per page, works without
JavaScript, each answer saved on the server as it is given.

The token appears in one address only: opening it stores the link in the visitor's session and
redirects to an address without it, so it does not stay in the history, the address bar or a
Referer header. No page here shows the patient's name.
"""

from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache

from clinic.assessments import services
from clinic.assessments.forms import AnswerForm, item_wording
from clinic.assessments.selectors import licensed_text
from clinic.core.policy import public
from clinic.core.refusals import audit_refusal
from clinic.locations.selectors import public_sites
from clinic.website.seo import alternates_for

SESSION_KEY = "selfreport_link"
DONE_KEY = "selfreport_done"


def _unavailable(request, reason: str):
    status = 404 if reason == "unknown" else 410
    response = render(
        request, "assessments/public/unavailable.html", {"reason": reason}, status=status
    )
    response["Cache-Control"] = "no-store"
    return response


def _layout(request) -> dict:
    """What the house's public layout needs: the sites' footer and the language alternates."""
    return {"sites": public_sites(), "alternates": alternates_for(request)}


def _no_store(response):
    # Answers to a mental-health questionnaire must not stay in a shared browser's cache.
    response["Cache-Control"] = "no-store"
    return response


@public
@never_cache
def open_link(request, token):
    try:
        link = services.find_link(token)
    except services.LinkUnavailable as unavailable:
        return _unavailable(request, unavailable.reason)
    services.open_self_report(link)
    request.session[SESSION_KEY] = link.pk
    request.session.pop(DONE_KEY, None)
    with translation.override(link.language):
        return HttpResponseRedirect(reverse("selfreport:form"))


def _position(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number < 1000 else None


@public
@never_cache
def questionnaire(request):
    try:
        link = services.link_by_id(request.session.get(SESSION_KEY))
    except services.LinkUnavailable as unavailable:
        return _unavailable(request, unavailable.reason)
    assessment = link.assessment
    instrument = assessment.instrument
    # The page's language (the visitor may switch it) when the scale's wording exists in it,
    # else the patient's language the link was issued in.
    language = request.LANGUAGE_CODE
    licensed = None
    if not instrument.ships_text:
        licensed = licensed_text(instrument.code, language)
        if licensed is None:
            language = link.language
            licensed = licensed_text(instrument.code, language)
        if licensed is None:
            return _unavailable(request, "unknown")  # the licensed text was withdrawn
    with translation.override(language):
        count = len(instrument.items)
        error = ""
        if request.method == "POST" and "send" in request.POST:
            try:
                assessment = services.submit_self_report(link)
            except services.LinkUnavailable as unavailable:
                return _unavailable(request, unavailable.reason)
            except services.AssessmentRefused as refusal:
                error = refusal.message
                audit_refusal(request, refusal, patient=assessment.patient, obj=assessment)
            else:
                request.session.pop(SESSION_KEY, None)
                request.session[DONE_KEY] = {
                    "safety": assessment.safety,
                    "site": assessment.site_id,
                }
                return redirect("selfreport:done")
        index = _position(
            request.POST.get("item") if request.method == "POST" else request.GET.get("q")
        )
        form = None
        if (
            request.method == "POST"
            and "send" not in request.POST
            and index is not None
            and index < count
        ):
            question, labels = item_wording(instrument, index, licensed)
            form = AnswerForm(request.POST, question=question, labels=labels)
            if form.is_valid():
                try:
                    services.save_self_report_answer(link, index, form.cleaned_data["answer"])
                except services.LinkUnavailable as unavailable:
                    return _unavailable(request, unavailable.reason)
                except services.AssessmentRefused as refusal:
                    form.add_error("answer", refusal.message)
                    audit_refusal(request, refusal, patient=assessment.patient, obj=assessment)
                else:
                    assessment.refresh_from_db()
                    following = _next_unanswered(assessment.answers, after=index)
                    url = reverse("selfreport:form")
                    return redirect(
                        f"{url}?q={following}" if following is not None else f"{url}?q=review"
                    )
        answers = assessment.answers
        if index is None or index >= count:
            if request.GET.get("q") == "review" or _next_unanswered(answers) is None:
                return _no_store(_review(request, link, licensed, error))
            index = _next_unanswered(answers)
        question, labels = item_wording(instrument, index, licensed)
        if form is None:
            initial = {"answer": answers[index]} if answers[index] is not None else {}
            form = AnswerForm(initial=initial, question=question, labels=labels)
        return _no_store(
            render(
                request,
                "assessments/public/question.html",
                {
                    "link": link,
                    "instrument": instrument,
                    "instructions": (
                        licensed.instructions if licensed else instrument.instructions
                    ),
                    "form": form,
                    "index": index,
                    "number": index + 1,
                    "count": count,
                    "answered": sum(1 for a in answers if a is not None),
                    "previous": index - 1 if index > 0 else None,
                    "safety": assessment.safety,
                    "site": assessment.site,
                    **_layout(request),
                },
            )
        )


def _next_unanswered(answers, after: int = -1) -> int | None:
    for index in list(range(after + 1, len(answers))) + list(range(0, after + 1)):
        if answers[index] is None:
            return index
    return None


def _review(request, link, licensed, error):
    assessment = link.assessment
    instrument = assessment.instrument
    rows = []
    for index, position in enumerate(assessment.answers):
        question, labels = item_wording(instrument, index, licensed)
        rows.append(
            {
                "index": index,
                "number": index + 1,
                "question": question,
                "answer": labels[position] if position is not None else None,
            }
        )
    return render(
        request,
        "assessments/public/review.html",
        {
            "link": link,
            "instrument": instrument,
            "rows": rows,
            "complete": all(a is not None for a in assessment.answers),
            "error": error,
            "safety": assessment.safety,
            "site": assessment.site,
            **_layout(request),
        },
    )


@public
@never_cache
def done(request):
    from clinic.locations.models import Site

    finished = request.session.get(DONE_KEY) or {}
    site = Site.objects.filter(pk=finished.get("site")).first() if finished.get("site") else None
    return _no_store(
        render(
            request,
            "assessments/public/done.html",
            {
                "safety": bool(finished.get("safety")),
                "site": site,
                "finished": bool(finished),
                **_layout(request),
            },
        )
    )
