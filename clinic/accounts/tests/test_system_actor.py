import pytest
from django.template import Context, Template
from django.utils import translation

from clinic.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "name"), [("uk", "Система"), ("en", "System")])
def test_the_system_actor_is_named_in_the_page_language(language, name):
    User.objects.system_actor()
    actor = User.objects.get(email="system@clinic.invalid")
    with translation.override(language):
        shown = Template("{{ actor.full_name }} / {{ actor }}").render(Context({"actor": actor}))
    assert shown == f"{name} / {name}"
