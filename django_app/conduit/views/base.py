"""What the handler classes share: the APIView they extend, the lookup filter of detail views."""

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.fields import Field
from rest_framework.filters import BaseFilterBackend
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from django_app.conduit.models import storable

ModelT = TypeVar("ModelT", bound=Model)
RowT = TypeVar("RowT")


class ConduitAPIView(APIView):
    """DRF's APIView, except that a method the view lacks is a 405, before authentication, and
    a plain OPTIONS is answered with the view's methods alone.

    DRF authenticates and checks permissions before it looks up the handler, so `PATCH /api/user`
    without a token would be a 401; the API (like Flask's and Starlette's routers) answers 405
    for a wrong method whoever asks. DRF's own OPTIONS would need the token too, and describe
    the view in a body of its own; here it is an empty 200 whose `Allow` (DRF's, from
    `allowed_methods`, on every response of the view) lists the methods, HEAD and OPTIONS too.
    """

    # The API's methods. CORS preflight OPTIONS requests are answered by the CORS middleware
    # before any view runs; Django's View serves HEAD with `get` wherever there is one.
    http_method_names = ["get", "post", "put", "delete", "head", "options"]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """Refuse an unsupported method, then (but for OPTIONS) authenticate, check
        permissions and throttle."""
        method = (request.method or "").lower()
        if method not in self.http_method_names or not hasattr(self, method):
            self.http_method_not_allowed(request, *args, **kwargs)
        if method == "options":
            return
        super().initial(request, *args, **kwargs)

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        """DRF's finalize_response, then a callback that lets go of the response once rendered.

        DRF leaves the view and its response pointing at each other (`view.response`, and
        `response.renderer_context`, which holds the view and, once rendering starts, the
        response itself). Such a cycle is freed only by the cyclic garbage collector, whose full
        passes are rare, so every answer's data and bytes outlived the request. Reading a thread
        of 580 comments 300 times in a row peaked at 14 MB of live Python objects with this
        cycle and the serializers' (see serializers.py), 5.8 MB with the serializers' alone, and
        1.6 MB with neither.
        """
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response):
            response.add_post_render_callback(self.release_rendered)
        return response

    def release_rendered(self, response: Response) -> None:
        """Break the view-response cycle: after rendering, only the bytes are sent."""
        # The stubs do not declare renderer_context; an empty one still renders, for a caller
        # that renders twice.
        response.renderer_context = {}  # type: ignore[attr-defined]
        del self.response

    # DRF hands views its Request, a wrapper of the HttpRequest that Django's View.options names
    # (DRF's stubs silence the same mismatch on APIView.options).
    def options(self, request: Request, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        """An empty 200; finalize_response adds the `Allow` header."""
        return Response()


class LookupValueFilter(BaseFilterBackend):
    """A URL lookup value that cannot name a row finds nothing, without a query.

    GenericAPIView.get_object runs the view's filter backends before it looks the value up, and
    an empty queryset is simply its 404. A value no column can hold (a NUL from `%00`) never
    reaches the database, which PostgreSQL would answer with an error; a view whose lookup is
    typed names the serializer field that reads it (`lookup_value_field`), so an id such as
    "+1", " 1" or "1_0", which int() and so the primary key lookup would take, is unknown too.
    """

    def filter_queryset(
        self, request: Request, queryset: QuerySet[ModelT, RowT], view: APIView
    ) -> QuerySet[ModelT, RowT]:
        """The queryset, or none of it when the view's lookup value cannot name a row."""
        if not isinstance(view, GenericAPIView):
            return queryset
        value = view.kwargs.get(view.lookup_url_kwarg or view.lookup_field)
        if isinstance(value, str) and not storable(value):
            return queryset.none()
        field: Field[Any, Any, Any, Any] | None = getattr(view, "lookup_value_field", None)
        if field is not None:
            try:
                field.run_validation(value)
            except ValidationError:
                return queryset.none()
        return queryset
