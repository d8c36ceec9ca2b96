"""Every URL pattern declares who may use it, and every role gets the answer the declaration
promises. A new page without a declaration fails here."""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from clinic.accounts.roles import Role
from clinic.conftest import make_user
from clinic.core.policy import PORTAL, PUBLIC, SIGN_IN_STEP, SIGNED_IN, STAFF


def walk(patterns, prefix_ns=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{prefix_ns}{entry.namespace}:" if entry.namespace else prefix_ns
            yield from walk(entry.url_patterns, ns)
        elif isinstance(entry, URLPattern):
            yield prefix_ns, entry


def sample_kwargs(pattern: URLPattern) -> dict:
    """Values that fit each converter; objects do not exist, which is fine for policy checks."""
    kwargs = {}
    for name, converter in pattern.pattern.converters.items():
        kind = type(converter).__name__
        kwargs[name] = {"UUIDConverter": uuid.uuid4(), "IntConverter": 1}.get(kind, "x")
    return kwargs


def all_patterns():
    found = []
    for ns, pattern in walk(get_resolver().url_patterns):
        if pattern.name is None:
            continue
        found.append((f"{ns}{pattern.name}", pattern))
    return found


def url_of(name, pattern):
    try:
        return reverse(name, kwargs=sample_kwargs(pattern))
    except Exception:
        # Regex patterns with named groups (allauth's key URLs): fill every group with "x-1".
        groups = pattern.pattern.regex.groupindex
        return reverse(name, kwargs=dict.fromkeys(groups, "x-1"))


def test_every_url_pattern_declares_a_policy():
    undeclared = [name for name, p in all_patterns() if not hasattr(p.callback, "access_policy")]
    unnamed = [str(p.pattern) for _, p in walk(get_resolver().url_patterns) if p.name is None]
    assert undeclared == []
    assert unnamed == [], "every URL needs a name so the policy test can reach it"


def test_the_walk_covers_the_known_pages():
    names = {name for name, _ in all_patterns()}
    for expected in (
        "dashboard:today",
        "patients:chart",
        "core:audit_log",
        "account_login",
        "mfa_activate_totp",
        "healthz",
        "portal_staff:summary",
        "portal:summary_pdf",
        "portal:sign_in_link",
        "portal:sign_in_totp",
        "portal:authenticator",
    ):
        assert expected in names


def is_login_redirect(response):
    return response.status_code == 302 and reverse("account_login") in response["Location"]


def is_portal_sign_in_redirect(response):
    return response.status_code == 302 and "/portal/sign-in/" in response["Location"]


def is_totp_setup_redirect(response):
    return response.status_code == 302 and reverse("mfa_activate_totp") in response["Location"]


@pytest.mark.django_db
def test_anonymous_visitor_gets_what_each_policy_promises(client, kyiv):
    for name, pattern in all_patterns():
        policy = pattern.callback.access_policy
        response = client.get(url_of(name, pattern))
        if policy.kind in (SIGNED_IN, STAFF):
            assert is_login_redirect(response), (name, response.status_code)
        elif policy.kind == PORTAL:
            assert is_portal_sign_in_redirect(response), (name, response.status_code)
        elif policy.kind == SIGN_IN_STEP:
            assert response.status_code in (200, 302), name
        else:
            assert not is_login_redirect(response), name
            assert response.status_code != 403, name


@pytest.mark.django_db
def test_staff_without_second_factor_reaches_no_staff_page(client, kyiv):
    # Every role at once: if the TOTP gate held only for some roles, this would not catch it,
    # so the check below runs per role too (test_each_role_gets_what_each_policy_promises).
    user = make_user("no-totp@test.clinic", roles=list(Role), sites=[kyiv], totp=False)
    client.force_login(user)
    for name, pattern in all_patterns():
        if pattern.callback.access_policy.kind != STAFF:
            continue
        response = client.get(url_of(name, pattern))
        assert is_totp_setup_redirect(response), (name, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_what_each_policy_promises(client, kyiv, role):
    user = make_user(f"{role.value}@test.clinic", roles=[role], sites=[kyiv])
    no_totp = make_user(f"{role.value}-new@test.clinic", roles=[role], sites=[kyiv], totp=False)
    for name, pattern in all_patterns():
        policy = pattern.callback.access_policy
        if name in ("account_logout",):
            continue  # would end the session the loop relies on
        client.force_login(user)
        response = client.get(url_of(name, pattern))
        if policy.kind == STAFF:
            allowed = policy.allows_role({role.value})
            assert (response.status_code == 403) is not allowed, (name, response.status_code)
            assert not is_login_redirect(response), name
            client.force_login(no_totp)
            assert is_totp_setup_redirect(client.get(url_of(name, pattern))), name
        elif policy.kind == SIGNED_IN:
            assert not is_login_redirect(response), name
        elif policy.kind == PORTAL:
            # A staff sign-in never opens the patient's pages.
            assert response.status_code == 403, (name, response.status_code)
        else:
            assert policy.kind in (PUBLIC, SIGN_IN_STEP)
            assert response.status_code != 403, name


@pytest.mark.django_db
def test_a_trusted_person_gets_what_each_portal_scope_promises(client, kyiv, users):
    """The trusted-person role: a grant of upcoming visits only. Every portal page whose
    declared scope the grant lacks answers 404; the rest never 403 (the object sweeps with
    real ids are in clinic/portal/tests/test_trusted.py)."""
    from clinic.conftest import make_patient
    from clinic.portal import services as portal
    from clinic.portal.access import ANYONE
    from clinic.portal.tests.conftest import grant, trusted_sign_in

    patient = make_patient(kyiv, "K-0001", phone="+380501112233")
    account = portal.invite_patient(patient, actor=users[(Role.RECEPTIONIST, "kyiv")])
    trusted_sign_in(client, grant(account, scopes=("visits",)))
    checked = 0
    for name, pattern in all_patterns():
        if pattern.callback.access_policy.kind != PORTAL or name == "portal:sign_out":
            continue
        scope = pattern.callback.portal_scope
        response = client.get(url_of(name, pattern))
        if scope in (ANYONE, "visits"):
            assert response.status_code in (200, 302, 404, 405), (name, response.status_code)
        else:
            assert response.status_code == 404, (name, response.status_code)
        checked += 1
    assert checked >= 15
