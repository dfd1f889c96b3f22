from django.utils.functional import SimpleLazyObject

from .selectors import user_has_site_role


def roles(request):
    """`is_reviewer` and `is_approver` for the navigation, computed only when a template asks."""
    user = getattr(request, "user", None)

    def is_approver() -> bool:
        from access_requests.review_selectors import approver_factory_ids

        # Only somebody with a site role (known without a query) can approve somewhere.
        return bool(user and user_has_site_role(user) and approver_factory_ids(user))

    return {
        "is_reviewer": SimpleLazyObject(lambda: bool(user and user_has_site_role(user))),
        "is_approver": SimpleLazyObject(is_approver),
    }
