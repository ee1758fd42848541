"""Template context: `may.<action>` answers the access policy's `can(user, action)` for menus and buttons, so a
link is shown exactly when its view would let the user in. Each answer is computed once per request, on use."""

from django.utils.functional import SimpleLazyObject

from core.policy import Action, can


class _May:
    def __init__(self, user):
        self._user = user
        self._cache: dict[str, bool] = {}

    def __getattr__(self, name: str) -> bool:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._cache:
            try:
                action = Action(name)
            except ValueError:
                raise AttributeError(name) from None
            self._cache[name] = bool(self._user.is_authenticated and can(self._user, action))
        return self._cache[name]


def permissions(request) -> dict:
    return {"may": SimpleLazyObject(lambda: _May(request.user))}
