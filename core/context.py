"""Template context: `may.<action>` answers the access policy's `can(user, action)` for menus and buttons, so a
link is shown exactly when its view would let the user in. Each answer is computed once per request, on use.

Without an object, `can` asks whether the user holds one of the action's roles anywhere: the roles a user holds are
read once (one query for the whole menu, however many entries ask) and each action's roles come from the policy."""

from django.utils.functional import SimpleLazyObject

from core.policy import Action, roles_for


class _May:
    def __init__(self, user):
        self._user = user
        self._cache: dict[str, bool] = {}
        self._held: set[str] | None = None

    def _holds_any(self, roles) -> bool:
        user = self._user
        if not (user.is_authenticated and user.is_active):
            return False
        if user.is_superuser:
            return True
        if self._held is None:
            from households.models import Assignment

            self._held = set(Assignment.objects.filter(user=user).values_list("role", flat=True))
        return bool(self._held & set(roles))

    def __getattr__(self, name: str) -> bool:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._cache:
            try:
                action = Action(name)
            except ValueError:
                raise AttributeError(name) from None
            self._cache[name] = self._holds_any(roles_for(action))
        return self._cache[name]


def permissions(request) -> dict:
    return {"may": SimpleLazyObject(lambda: _May(request.user))}
