"""Browser tests: a real Chromium (Debian's) driven through Playwright, axe-core on every page.

Run them with ``python -m pytest -m browser marktplatz/browser_tests``.
"""
