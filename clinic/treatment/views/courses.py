"""Courses of care from the treating side: the list, approving one, its page and closing it."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.accounts.roles import Role
from clinic.core.audit import audit
from clinic.core.policy import staff
from clinic.core.refusals import refused
from clinic.courses import services as course_services
from clinic.courses.access import VISIT_TYPE_OF_MODALITY, get_course_for
from clinic.courses.models import Course
from clinic.locations.selectors import current_site
from clinic.patients.access import get_patient_for
from clinic.treatment import forms, links, selectors, services, summaries
from clinic.treatment.access import (
    may_read_note,
)
from clinic.treatment.views.common import (
    COURSE_ROLES,
)


@staff(*COURSE_ROLES)
def course_list(request):
    site = current_site(request)
    courses = selectors.courses_with_progress(
        Course.objects.visible_to(request.user)
        .filter(site=site)
        .select_related("patient", "approved_by")
    )
    status = request.GET.get("status", "active")
    if status in Course.Status.values:
        courses = courses.filter(status=status)
    page = Paginator(courses.order_by("-approved_at", "-pk"), 50).get_page(request.GET.get("page"))
    for course in page:
        course.done = selectors.sessions_done(course)
    audit(request.user, "course.list.viewed", site=site)
    return render(
        request,
        "treatment/course_list.html",
        {"page": page, "site": site, "status": status, "statuses": Course.Status.choices},
    )


@staff(Role.PHYSICIAN, object_rule="patients.access.get_patient_for")
def course_new(request, patient_id):
    from clinic.treatment import links

    patient = get_patient_for(request.user, patient_id)
    settings = selectors.rules_for(patient.home_site)
    eligibility = links.ketamine_eligibility(patient)
    form = forms.CourseForm(
        request.POST or None,
        initial={
            "target_dose_mg_per_kg": settings.default_dose_mg_per_kg,
            "infusion_minutes": settings.default_infusion_minutes,
        },
    )
    if eligibility is not None:
        # The decision on file answers the question; the physician's own confirmation is
        # only asked for when nobody has decided yet.
        del form.fields["eligibility_confirmed"]
    if request.method == "POST" and form.is_valid():
        try:
            course = services.approve_course(patient, **form.cleaned_data, actor=request.user)
        except (services.TreatmentRefused, course_services.CourseRefused) as refusal:
            refused(request, refusal, patient=patient, form=form)
        else:
            messages.success(request, _("The course has been approved."))
            return redirect("treatment:course", course_id=course.public_id)
    return render(
        request,
        "treatment/course_form.html",
        {
            "form": form,
            "patient": patient,
            "eligibility": eligibility,
            "consent_on_file": links.ketamine_consent_on_file(patient),
        },
    )


@staff(*COURSE_ROLES, object_rule="courses.access.get_course_for")
def course_detail(request, course_id):
    course = get_course_for(request.user, course_id)
    course = selectors.courses_with_progress(Course.objects.filter(pk=course.pk)).get()
    audit(request.user, "course.viewed", course.patient, obj=course)
    context = {
        "course": course,
        "patient": course.patient,
        "done": selectors.sessions_done(course),
        "is_physician": request.user.has_role(Role.PHYSICIAN),
        "visit_type_code": VISIT_TYPE_OF_MODALITY.get(course.modality, ""),
        "eligibility": links.eligibility_decision_of(course) if course.is_ketamine else None,
        **selectors.course_overview(course),
    }
    context["notes"] = [n for n in context["notes"] if may_read_note(request.user, n)]
    # Whether the patient can read a summary of each note in the portal.
    released = summaries.summaries_of(n.pk for n in context["notes"])
    for note in context["notes"]:
        note.summary = released.get(note.pk)
    if course.is_ketamine and course.status == Course.Status.ACTIVE:
        context["open_form"] = forms.OpenSessionForm(site=course.site)
        context["open_form"].offer_free(selectors.free_chairs(course.site))
    return render(request, "treatment/course_detail.html", context)


@staff(Role.PHYSICIAN, object_rule="courses.access.get_course_for")
@require_POST
def course_close(request, course_id):
    course = get_course_for(request.user, course_id)
    status, reason = request.POST.get("status", ""), request.POST.get("reason", "").strip()
    if status not in (Course.Status.COMPLETED, Course.Status.STOPPED) or not (
        reason and len(reason) <= 500 and "\x00" not in reason
    ):
        messages.error(request, _("Choose how the course ends and give a reason."))
    else:
        try:
            course_services.close_course(course, status=status, reason=reason, actor=request.user)
        except course_services.CourseRefused as refusal:
            refused(request, refusal, patient=course.patient, obj=course)
        else:
            messages.success(request, _("The course has been closed."))
    return redirect("treatment:course", course_id=course.public_id)
