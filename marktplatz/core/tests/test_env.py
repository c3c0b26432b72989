import pytest

from marktplatz.core.colors import contrast_ratio
from marktplatz.core.env import email_settings, env_bool, env_int


def test_it_reads_smtp_urls_with_tls():
    cfg = email_settings("smtp+tls://mailer:s%40cret@mail.example.org?from=noreply@example.org")
    assert cfg["EMAIL_HOST"] == "mail.example.org"
    assert cfg["EMAIL_PORT"] == 587
    assert cfg["EMAIL_HOST_PASSWORD"] == "s@cret"
    assert cfg["EMAIL_USE_TLS"] is True
    assert cfg["DEFAULT_FROM_EMAIL"] == "noreply@example.org"


def test_it_reads_console_and_file_urls():
    assert email_settings("console://")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    assert email_settings("file:///tmp/mail")["EMAIL_FILE_PATH"] == "/tmp/mail"


def test_it_rejects_unknown_email_schemes():
    with pytest.raises(ValueError, match="unknown scheme"):
        email_settings("pigeon://coop")


def test_it_rejects_malformed_booleans_and_integers(monkeypatch):
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(ValueError, match="true or false"):
        env_bool("X_BOOL")
    monkeypatch.setenv("X_INT", "ten")
    with pytest.raises(ValueError, match="integer"):
        env_int("X_INT", 1)
    monkeypatch.setenv("X_BOOL", "yes")
    assert env_bool("X_BOOL") is True


def test_it_computes_wcag_contrast():
    assert round(contrast_ratio("#000000", "#ffffff"), 1) == 21.0
    assert contrast_ratio("#767676", "#ffffff") >= 4.5
    assert contrast_ratio("#777777", "#ffffff") < 4.5
