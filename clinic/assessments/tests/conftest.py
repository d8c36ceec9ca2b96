# The browser and axe-core fixtures of the core and website tests, shared here unchanged.
from clinic.core.tests.test_browser import browser, signed_in_page  # noqa: F401
from clinic.website.tests.test_accessibility import axe_path  # noqa: F401
