"""clinic.core.network.client_ip: whose address a request carries."""

import pytest
from django.test import RequestFactory

from clinic.core.network import client_ip


def request_from(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(request_from("127.0.0.1", "198.51.100.7")) == "127.0.0.1"


def test_behind_a_trusted_proxy_the_client_is_the_address_it_forwarded(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_ip(request_from("127.0.0.1", "198.51.100.7")) == "198.51.100.7"


def test_an_address_the_client_wrote_itself_is_not_believed(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    # The client sent "X-Forwarded-For: 10.9.9.9"; nginx appended the address it saw.
    assert client_ip(request_from("127.0.0.1", "10.9.9.9, 198.51.100.7")) == "198.51.100.7"


def test_a_request_not_from_a_trusted_proxy_keeps_its_own_address(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_ip(request_from("198.51.100.7", "10.9.9.9")) == "198.51.100.7"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    assert client_ip(request_from("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.1.2.3")) == (
        "198.51.100.7"
    )


@pytest.mark.parametrize("forwarded", ["", "not-an-address", "198.51.100.7, garbage"])
def test_a_missing_or_garbled_header_leaves_the_proxys_address(settings, forwarded):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_ip(request_from("127.0.0.1", forwarded)) == "127.0.0.1"
