"""Choosing the page language in tests as a visitor does."""

from django.conf import settings


def choose_language(client, code: str) -> dict:
    """Set the language cookie (what the language menu, the profile and login set): the
    browser's Accept-Language no longer changes the language of pages. Returns no extra
    request arguments, so it reads ``client.get(url, **choose_language(client, "en"))``."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = code
    return {}
