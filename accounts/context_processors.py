from django.utils.functional import SimpleLazyObject

from .selectors import user_has_site_role


def roles(request):
    """`is_reviewer` for the navigation, computed only when a template asks."""
    user = getattr(request, "user", None)
    return {"is_reviewer": SimpleLazyObject(lambda: bool(user and user_has_site_role(user)))}
