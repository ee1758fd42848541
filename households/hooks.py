"""What other apps do when a household changes, without households importing them.

households sits below surveys: its services must not import surveys (a cycle, and a registry that would know about
every app built on it). An app that keeps data derived from a household (surveys recomputes the household's open
assessment) registers a function here in its AppConfig.ready(); the household services and the admin call
`household_changed` inside their transaction, so a refusal there undoes the household's change too."""

from __future__ import annotations

from collections.abc import Callable

household_changed_hooks: list[Callable] = []


def register(hook: Callable) -> Callable:
    """Call `hook(household=..., actor=...)` after each change of a household's members (idempotent)."""
    if hook not in household_changed_hooks:
        household_changed_hooks.append(hook)
    return hook


def household_changed(*, household, actor) -> None:
    """Tell every registered app that the household's members changed (inside the caller's transaction)."""
    for hook in household_changed_hooks:
        hook(household=household, actor=actor)
