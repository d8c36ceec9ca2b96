# The browser fixtures of the core tests, shared rather than copied.
from clinic.core.tests.test_browser import browser, signed_in_page  # noqa: F401
