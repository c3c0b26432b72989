"""The axe-core check itself: it must see a violation when there is one."""

from __future__ import annotations

import pytest

from marktplatz.browser_tests.tools import needs_browser_tools

pytestmark = [pytest.mark.browser, needs_browser_tools]

BROKEN_PAGE = """<!DOCTYPE html>
<html><head><title>Broken</title></head>
<body><main><img src="data:,"><p>An image without alt text, a page without lang.</p></main></body>
</html>"""


def test_the_check_reports_serious_and_critical_violations(page, check_a11y):
    page.set_content(BROKEN_PAGE)
    with pytest.raises(AssertionError) as failure:
        check_a11y(page)
    message = str(failure.value)
    assert "image-alt (critical)" in message
    assert "html-has-lang (serious)" in message
    assert "at img" in message
