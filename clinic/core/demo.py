"""The demo centre's fixed facts, shared by `load_demo` and `demo_code` (clinic/demo).

Everything here is for demonstration on a developer's machine; none of it is a real login.
It stays in core, with no import of any app, because the apps' own demo loaders
(`treatment/demo.py`, `controlled_drugs/demo.py`) find the demo staff by these addresses and
may not import the demo app above them.
"""

import base64
import hashlib

DEMO_PASSWORD = "demo-clinic-2026"
DEMO_DOMAIN = "demo.clinic"
NEWCOMER_EMAIL = f"newcomer@{DEMO_DOMAIN}"


def demo_email(role: str, site_code: str) -> str:
    return f"{role.replace('_', '-')}.{site_code}@{DEMO_DOMAIN}"


def demo_totp_secret(email: str) -> str:
    """A fixed secret per demo user, so the printed secrets stay valid across reloads."""
    digest = hashlib.sha256(f"clinic-demo-totp:{email}".encode()).digest()[:20]
    return base64.b32encode(digest).decode()
