"""New scores on the physician's start page: the ones to review, and the ones with a worsening
from baseline or a positive safety item; reviewing a score takes it off both lists."""

import re

import pytest
from django.urls import reverse

from clinic.accounts.roles import Role
from clinic.assessments import services
from clinic.assessments.models import Assessment
from clinic.assessments.tests.factories import make_assessment, phq9_with_total
from clinic.conftest import make_patient
from clinic.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def physician(users):
    return users[(Role.PHYSICIAN, "kyiv")]


def lists(client, user) -> dict[str, tuple[int, str]]:
    client.force_login(user)
    page = client.get(reverse("dashboard:today")).content.decode()
    found = {}
    for key, section in re.findall(r'data-worklist="([a-z_]+)">(.*?)</section>', page, flags=re.S):
        count = re.search(r'data-count="(\d+)"', section)
        found[key] = (int(count.group(1)) if count else 0, section)
    return found


def reviewed(assessment, physician):
    return services.review_assessment(assessment, actor=physician)


def test_new_scores_wait_for_review_and_a_worsening_is_listed_apart(client, physician, kyiv):
    worse = make_patient(kyiv, "K-1")
    better = make_patient(kyiv, "K-2")
    reviewed(make_assessment(worse, answers=phq9_with_total(12), days_ago=20), physician)
    reviewed(make_assessment(better, answers=phq9_with_total(20), days_ago=20), physician)
    worsened = make_assessment(worse, answers=phq9_with_total(18), days_ago=1)
    make_assessment(better, answers=phq9_with_total(8), days_ago=1)
    first_ever = make_assessment(make_patient(kyiv, "K-3"), answers=phq9_with_total(22))
    unsafe = make_assessment(make_patient(kyiv, "K-4"), answers=phq9_with_total(6, item9=1))

    found = lists(client, physician)
    assert found["scores_to_review"][0] == 4
    number, section = found["worsening_scores"]
    assert number == 2  # 12 -> 18, and the safety item; not the improvement nor a first score
    assert reverse("assessments:detail", args=[worsened.public_id]) in section
    assert reverse("assessments:detail", args=[unsafe.public_id]) in section
    assert reverse("assessments:detail", args=[first_ever.public_id]) not in section
    assert "18, 12" in section and "50 %" in section  # (12 - 18) / 12 = -50 %

    reviewed(worsened, physician)
    found = lists(client, physician)
    assert (found["scores_to_review"][0], found["worsening_scores"][0]) == (3, 1)


def test_the_baseline_is_the_first_score_of_the_same_course(client, physician, kyiv):
    from clinic.assessments.tests.factories import make_course

    patient = make_patient(kyiv, "K-1")
    reviewed(make_assessment(patient, answers=phq9_with_total(5), days_ago=200), physician)
    course = make_course(patient, started_days_ago=30)
    reviewed(
        make_assessment(patient, answers=phq9_with_total(20), days_ago=25, course=course),
        physician,
    )
    make_assessment(patient, answers=phq9_with_total(15), days_ago=1, course=course)
    # 15 is above the 5 of an earlier episode but below the course's own baseline of 20.
    assert lists(client, physician)["worsening_scores"][0] == 0


def test_a_physician_reviews_a_score_from_its_page(client, physician, kyiv):
    score = make_assessment(make_patient(kyiv, "K-1"), answers=phq9_with_total(9))
    client.force_login(physician)
    page = client.get(reverse("assessments:detail", args=[score.public_id])).content.decode()
    action = reverse("assessments:review", args=[score.public_id])
    assert f'action="{action}"' in page
    response = client.post(action)
    assert response.url == reverse("assessments:detail", args=[score.public_id])
    score.refresh_from_db()
    assert score.reviewed_by == physician and score.reviewed_at is not None
    event = AuditEvent.objects.get(action="assessment.reviewed")
    assert (event.actor, event.patient) == (physician, score.patient)
    page = client.get(reverse("assessments:detail", args=[score.public_id])).content.decode()
    assert f'action="{action}"' not in page and physician.full_name in page


def test_a_second_review_is_refused_and_nothing_is_written(client, physician, users, kyiv):
    score = make_assessment(make_patient(kyiv, "K-1"))
    reviewed(score, physician)
    first = Assessment.objects.get(pk=score.pk).reviewed_at
    other = users[(Role.PHYSICIAN, "lviv")]
    other.sites.add(kyiv)
    client.force_login(other)
    client.post(reverse("assessments:review", args=[score.public_id]))
    score.refresh_from_db()
    assert (score.reviewed_by, score.reviewed_at) == (physician, first)
    assert AuditEvent.objects.filter(action="assessment.reviewed").count() == 1
    denied = AuditEvent.objects.get(action="assessment.refused")
    assert denied.outcome == AuditEvent.Outcome.DENIED and denied.actor == other


def test_a_nurse_cannot_review_and_nothing_is_written(client, users, kyiv):
    score = make_assessment(make_patient(kyiv, "K-1"))
    client.force_login(users[(Role.NURSE, "kyiv")])
    assert client.post(reverse("assessments:review", args=[score.public_id])).status_code == 403
    score.refresh_from_db()
    assert score.reviewed_at is None
    assert not AuditEvent.objects.filter(action="assessment.reviewed").exists()
    with pytest.raises(services.AssessmentRefused):
        services.review_assessment(score, actor=users[(Role.NURSE, "kyiv")])


def test_a_score_struck_out_cannot_be_reviewed(physician, kyiv):
    score = make_assessment(make_patient(kyiv, "K-1"))
    services.mark_assessment_in_error(score, reason="wrong patient", actor=physician)
    with pytest.raises(services.AssessmentRefused):
        services.review_assessment(score, actor=physician)
    assert Assessment.objects.get(pk=score.pk).reviewed_at is None


def test_new_score_lists_cost_the_same_queries_whatever_waits(
    client, physician, kyiv, django_assert_max_num_queries
):
    patient = make_patient(kyiv, "K-0")
    reviewed(make_assessment(patient, answers=phq9_with_total(10), days_ago=30), physician)
    make_assessment(patient, answers=phq9_with_total(14))
    client.force_login(physician)
    client.get(reverse("dashboard:today"))
    with django_assert_max_num_queries(200) as few:
        client.get(reverse("dashboard:today"))
    for index in range(1, 8):
        other = make_patient(kyiv, f"K-{index}")
        reviewed(make_assessment(other, answers=phq9_with_total(10), days_ago=30), physician)
        make_assessment(other, answers=phq9_with_total(14), days_ago=1)
        make_assessment(other, code="gad7", answers=[3, 3, 0, 0, 0, 0, 0])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("dashboard:today"))
    found = lists(client, physician)
    assert (found["scores_to_review"][0], found["worsening_scores"][0]) == (15, 8)


def test_a_new_worsening_is_listed_however_many_older_scores_wait(client, physician, kyiv):
    from clinic.core.worklists import CAP

    waiting = make_patient(kyiv, "K-0")
    for days_ago in range(CAP + 5, 5, -1):  # more unreviewed scores than a list holds
        make_assessment(waiting, answers=phq9_with_total(10), days_ago=days_ago)
    worse = make_patient(kyiv, "K-1")
    reviewed(make_assessment(worse, answers=phq9_with_total(10), days_ago=90), physician)
    newest = make_assessment(worse, answers=phq9_with_total(20), days_ago=0)

    number, section = lists(client, physician)["worsening_scores"]
    assert reverse("assessments:detail", args=[newest.public_id]) in section
    assert number >= 1
