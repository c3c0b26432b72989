"""The German, French and Italian catalogs are complete and keep every format variable."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale"
LANGUAGES = ["de", "fr", "it"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def _messages(lang):
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    return [message for message in catalog if message.id]


def _ids(message):
    return message.id if isinstance(message.id, tuple) else (message.id,)


def _strings(message):
    return message.string if isinstance(message.string, tuple) else (message.string,)


def _format_variables(texts):
    return {name for text in texts for name in PLACEHOLDER.findall(text)}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_it_has_a_catalog_with_messages(lang):
    assert len(_messages(lang)) > 0


@pytest.mark.parametrize("lang", LANGUAGES)
def test_it_translates_every_message_and_plural_form(lang):
    untranslated = [
        message.id
        for message in _messages(lang)
        if not _strings(message) or not all(text.strip() for text in _strings(message))
    ]
    assert untranslated == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_it_leaves_no_fuzzy_message(lang):
    assert [message.id for message in _messages(lang) if message.fuzzy] == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_it_keeps_the_format_variables_of_each_msgid(lang):
    broken = []
    for message in _messages(lang):
        expected = _format_variables(_ids(message))
        for text in _strings(message):
            found = _format_variables([text])
            if not expected <= found or not found <= expected:
                broken.append((message.id, text))
    assert broken == []
