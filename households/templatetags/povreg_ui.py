"""Template helpers for the officers' screens: money, dates and category labels in the user's language."""

from __future__ import annotations

import datetime

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import get_language

from surveys import classification as cl

register = template.Library()


def ui_lang() -> str:
    """'vi' or 'en': the key of the classification module's label tables."""
    return "vi" if (get_language() or "vi").startswith("vi") else "en"


@register.filter
def vnd(amount) -> str:
    """1500000 -> '1.500.000 ₫'; empty values show a dash."""
    if amount in (None, ""):
        return "—"
    return cl.vnd(int(amount))


@register.filter
def pct(value) -> str:
    """A rate as the API gives it ("9.80") in the reader's notation: "9,80" in Vietnamese, "9.80" in English;
    no rate (no denominator) is a dash."""
    if value in (None, ""):
        return "—"
    text = str(value)
    return text.replace(".", ",") if ui_lang() == "vi" else text


@register.filter
def dmy(value) -> str:
    """A date or datetime as dd/mm/yyyy (the Vietnamese way), datetimes in local time."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        value = value.date()
    return value.strftime("%d/%m/%Y")


@register.filter
def category_label(category) -> str:
    """The category's label in the user's language, from the one classification module."""
    if not category:
        return ""
    try:
        return cl.CATEGORY_LABELS[ui_lang()][cl.Category(category)]
    except ValueError:
        return str(category)


@register.filter
def group_label(group) -> str:
    if not group:
        return ""
    try:
        return cl.GROUP_LABELS[ui_lang()][cl.Group(group)]
    except ValueError:
        return str(group)


@register.filter
def in_lang(obj, attribute: str = "name") -> str:
    """Call a bilingual accessor (`name`, `threshold`, `explanation`) with the user's language."""
    if obj is None:
        return ""
    return getattr(obj, attribute)(ui_lang())


@register.simple_tag
def optional_url(name: str, *args, **kwargs) -> str:
    """The URL of a page another part of Povreg may provide, or '' when it does not exist (yet)."""
    try:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""
