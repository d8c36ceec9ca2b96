import pytest
from django.core import mail

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.core.models import AuditEvent, OutboxMessage
from clinic.core.outbox import deliver_due

pytestmark = pytest.mark.django_db


def test_administrator_opens_an_account_and_an_invitation_goes_out(admin_client, kyiv):
    response = admin_client.post(
        "/staff/team/new/",
        {
            "full_name": "Ганна Лисенко",
            "email": "Hanna@Example.org",
            "roles": ["nurse"],
            "sites": [kyiv.pk],
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="hanna@example.org")
    assert user.role_names == {"nurse"}
    assert list(user.sites.all()) == [kyiv]
    assert not user.has_usable_password()
    assert AuditEvent.objects.filter(action="staff.created", object_id=str(user.public_id)).exists()
    message = OutboxMessage.objects.get(recipient="hanna@example.org")
    assert "/accounts/password/reset/key/" in message.body
    assert message.carries_secret
    deliver_due()
    assert mail.outbox[0].to == ["hanna@example.org"]
    message.refresh_from_db()
    assert message.body == "" and "/accounts/password/reset/key/" in mail.outbox[0].body


def test_the_invitation_link_lets_the_colleague_choose_a_password(admin_client, client, kyiv):
    admin_client.post(
        "/staff/team/new/",
        {
            "full_name": "Ганна",
            "email": "hanna@example.org",
            "roles": ["nurse"],
            "sites": [kyiv.pk],
        },
    )
    body = OutboxMessage.objects.get().body
    link = next(word for word in body.split() if "/accounts/password/reset/key/" in word)
    admin_client.logout()
    page = client.get(link.split("8000", 1)[-1], follow=True)
    assert page.status_code == 200
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else link
    client.post(
        form_url, {"password1": "a fresh long passphrase", "password2": "a fresh long passphrase"}
    )
    assert User.objects.get(email="hanna@example.org").check_password("a fresh long passphrase")


def test_it_refuses_a_duplicate_e_mail_and_writes_nothing(admin_client, users, kyiv):
    existing = users[(Role.NURSE, "kyiv")]
    before = (User.objects.count(), AuditEvent.objects.count(), OutboxMessage.objects.count())
    response = admin_client.post(
        "/staff/team/new/",
        {"full_name": "X", "email": existing.email.upper(), "roles": ["nurse"], "sites": [kyiv.pk]},
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode() or "вже існує" in response.content.decode()
    assert (
        User.objects.count(),
        AuditEvent.objects.count(),
        OutboxMessage.objects.count(),
    ) == before


def test_it_refuses_garbage_input_without_an_error_page(admin_client):
    before = User.objects.count()
    response = admin_client.post(
        "/staff/team/new/",
        {"full_name": "\x00", "email": "not-an-email", "roles": ["pope"], "sites": ["x"]},
    )
    assert response.status_code in (200, 400)
    assert User.objects.count() == before


def test_administrator_cannot_give_access_to_a_site_they_do_not_work_at(admin_client, lviv):
    before = User.objects.count()
    response = admin_client.post(
        "/staff/team/new/",
        {"full_name": "X", "email": "x@example.org", "roles": ["nurse"], "sites": [lviv.pk]},
    )
    assert response.status_code == 200
    assert User.objects.count() == before


def test_administrator_changes_roles(admin_client, users):
    nurse = users[(Role.NURSE, "kyiv")]
    admin_client.post(
        f"/staff/team/{nurse.public_id}/",
        {
            "full_name": "Нова Назва",
            "email": nurse.email,
            "roles": ["nurse", "receptionist"],
            "sites": [nurse.sites.get().pk],
        },
    )
    nurse = User.objects.get(pk=nurse.pk)
    assert nurse.role_names == {"nurse", "receptionist"}
    assert nurse.full_name == "Нова Назва"
    assert AuditEvent.objects.filter(action="staff.changed").count() == 1


def test_administrator_cannot_manage_another_sites_colleague(admin_client, users):
    other = users[(Role.NURSE, "lviv")]
    assert admin_client.get(f"/staff/team/{other.public_id}/").status_code == 404
    response = admin_client.post(f"/staff/team/{other.public_id}/deactivate/", {"reason": "x"})
    assert response.status_code == 404
    assert User.objects.get(pk=other.pk).is_active


def test_deactivation_needs_a_reason(admin_client, users):
    nurse = users[(Role.NURSE, "kyiv")]
    admin_client.post(f"/staff/team/{nurse.public_id}/deactivate/", {"reason": ""})
    assert User.objects.get(pk=nurse.pk).is_active
    assert not AuditEvent.objects.filter(action="staff.deactivated").exists()


def test_administrator_cannot_deactivate_themselves(admin_client, users):
    admin = users[(Role.ADMINISTRATOR, "kyiv")]
    admin_client.post(f"/staff/team/{admin.public_id}/deactivate/", {"reason": "oops"})
    assert User.objects.get(pk=admin.pk).is_active


def test_a_physician_is_refused_the_staff_pages_and_the_refusal_is_audited(client, users):
    physician = users[(Role.PHYSICIAN, "kyiv")]
    client.force_login(physician)
    assert client.get("/staff/team/").status_code == 403
    denial = AuditEvent.objects.get(action="access.denied")
    assert denial.actor == physician
    assert denial.outcome == AuditEvent.Outcome.DENIED
    assert denial.reason == "/staff/team/"


def test_staff_list_query_count_does_not_grow(
    admin_client, kyiv, staff_factory, django_assert_max_num_queries
):
    with django_assert_max_num_queries(30) as few:
        admin_client.get("/staff/team/")
    for i in range(20):
        staff_factory(f"extra{i}@test.clinic", roles=[Role.NURSE], sites=[kyiv], totp=False)
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get("/staff/team/")


def test_administrator_cannot_drop_their_own_administrator_role(admin_client, users, kyiv):
    admin = users[(Role.ADMINISTRATOR, "kyiv")]
    response = admin_client.post(
        f"/staff/team/{admin.public_id}/",
        {"full_name": "X", "email": admin.email, "roles": ["nurse"], "sites": [kyiv.pk]},
    )
    assert response.status_code == 200
    assert User.objects.get(pk=admin.pk).role_names == {"administrator"}
    assert not AuditEvent.objects.filter(action="staff.changed").exists()
