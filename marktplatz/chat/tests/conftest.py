import pytest


@pytest.fixture(autouse=True)
def _english(client):
    """These tests read the messages the pages show in English."""
    client.cookies["mp_language"] = "en"
