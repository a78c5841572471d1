"""The APIView every handler class extends."""

from typing import Any

from rest_framework.request import Request
from rest_framework.views import APIView


class ConduitAPIView(APIView):
    """DRF's APIView, except that a method the view lacks is a 405, before authentication.

    DRF authenticates and checks permissions before it looks up the handler, so `PATCH /api/user`
    without a token would be a 401; the API (like Flask's and Starlette's routers) answers 405
    for a wrong method whoever asks.
    """

    # The API's methods; CORS preflight OPTIONS requests are answered by the CORS middleware
    # before any view runs, so a bare OPTIONS (like PATCH) is a 405 with an honest Allow header.
    http_method_names = ["get", "post", "put", "delete", "head"]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """Refuse an unsupported method, then authenticate, check permissions and throttle."""
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            self.http_method_not_allowed(request, *args, **kwargs)
        super().initial(request, *args, **kwargs)
