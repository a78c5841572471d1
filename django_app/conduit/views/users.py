"""User and Authentication: register, log in, read and update the current user."""

from django.utils.decorators import method_decorator
from django.views.decorators.cache import cache_control
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from django_app.conduit import openapi, services
from django_app.conduit.authentication import AuthenticatedRequest, issue_token
from django_app.conduit.parsers import json_body
from django_app.conduit.serializers import (
    LoginUserRequestSerializer,
    NewUserRequestSerializer,
    UpdateUserRequestSerializer,
    UserSerializer,
)
from django_app.conduit.throttling import (
    LoginAddressThrottle,
    RegisterAddressThrottle,
    failed_logins_limited,
)
from django_app.conduit.views.base import ConduitAPIView

# Every response of the views here carries a token: no cache may keep it.
never_cache_tokens = method_decorator(cache_control(no_store=True), name="dispatch")


@never_cache_tokens
class UsersView(ConduitAPIView):
    """POST /api/users."""

    # No security in the spec: an Authorization header, even a broken one, is ignored.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [RegisterAddressThrottle]

    # operationId: CreateUser
    @extend_schema(
        operation_id="CreateUser",
        tags=["User and Authentication"],
        summary="Register a new user",
        request=NewUserRequestSerializer,
        responses={201: openapi.USER, **openapi.errors(409, 429, *openapi.BODY_ERRORS)},
        parameters=[openapi.no_store(201)],
    )
    def post(self, request: Request) -> Response:
        """Register an account; answers with a fresh token."""
        serializer = NewUserRequestSerializer(data=json_body(request))
        serializer.is_valid(raise_exception=True)
        user = services.register_user(**serializer.validated_data)
        body = {"user": UserSerializer(user, context={"token": issue_token(user)}).data}
        return Response(body, status=status.HTTP_201_CREATED)


@never_cache_tokens
class LoginView(ConduitAPIView):
    """POST /api/users/login."""

    # No security in the spec: an Authorization header, even a broken one, is ignored.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginAddressThrottle]

    # operationId: Login
    @extend_schema(
        operation_id="Login",
        tags=["User and Authentication"],
        summary="Existing user login",
        request=LoginUserRequestSerializer,
        responses={200: openapi.USER, **openapi.errors(401, 429, *openapi.BODY_ERRORS)},
        parameters=[openapi.no_store(200)],
    )
    def post(self, request: Request) -> Response:
        """Exchange email and password for a fresh token."""
        serializer = LoginUserRequestSerializer(data=json_body(request))
        serializer.is_valid(raise_exception=True)
        with failed_logins_limited(self, request, serializer.validated_data["email"]):
            user = services.authenticate(**serializer.validated_data)
        return Response({"user": UserSerializer(user, context={"token": issue_token(user)}).data})


@never_cache_tokens
class CurrentUserView(ConduitAPIView):
    """GET and PUT /api/user; both answer with the token the request presented, except a
    password change, which ends every earlier token but that one and answers with a fresh one."""

    # operationId: GetCurrentUser
    @extend_schema(
        operation_id="GetCurrentUser",
        tags=["User and Authentication"],
        summary="Get current user",
        responses={200: openapi.USER, **openapi.errors(401)},
        parameters=[openapi.no_store(200)],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        """The signed-in user."""
        return Response(
            {"user": UserSerializer(request.user, context={"token": request.auth}).data}
        )

    # operationId: UpdateCurrentUser
    @extend_schema(
        operation_id="UpdateCurrentUser",
        tags=["User and Authentication"],
        summary="Update current user",
        request=UpdateUserRequestSerializer,
        responses={200: openapi.USER, **openapi.errors(401, 409, *openapi.BODY_ERRORS)},
        parameters=[openapi.no_store(200)],
    )
    def put(self, request: AuthenticatedRequest) -> Response:
        """Change any of username, email, password, bio, image."""
        serializer = UpdateUserRequestSerializer(data=json_body(request))
        serializer.is_valid(raise_exception=True)
        changes = serializer.validated_data
        user = services.update_user(user=request.user, changes=changes, token=request.auth)
        token = issue_token(user) if "password" in changes else request.auth
        return Response({"user": UserSerializer(user, context={"token": token}).data})
