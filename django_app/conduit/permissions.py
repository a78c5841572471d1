"""The author-only rule, as a DRF object permission."""

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from django_app.conduit.exceptions import ForbiddenError


class IsAuthorOrReadOnly(BasePermission):
    """Anyone may read an article or comment; only its author may change or delete it."""

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        """True for reads and for the author; otherwise 403 keyed by the object's kind."""
        if request.method in SAFE_METHODS or obj.author_id == request.user.pk:
            return True
        # The error key names the resource ("article" / "comment"), so raise rather than let
        # DRF build a PermissionDenied from a fixed `message`.
        raise ForbiddenError(obj._meta.model_name)
