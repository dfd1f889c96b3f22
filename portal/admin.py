"""Pieces the apps' admins share."""

from __future__ import annotations


class ViewOnly:
    """No add, no change, no delete (and so no "delete selected" action): view only."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
