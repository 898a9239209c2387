"""governance API: ballots (seat holders and administrators), own votes, and
the public decision register."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.decorators import method_decorator
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from governance import services
from governance.api.serializers import (
    BallotSerializer,
    DecisionDetailSerializer,
    DecisionSerializer,
    VoteInputSerializer,
    VoteSerializer,
)
from governance.enums import BallotStatus
from governance.models import Ballot, Vote
from governance.permissions import can_enter_portal
from governance.selectors import BALLOT_HEAVY_COLUMNS, released_decisions
from librery.api_schema import errors
from librery.pagecache import public_cached


class InPortal(BasePermission):
    message = "Only seat holders and administrators may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return can_enter_portal(request.user)


@extend_schema(responses={200: BallotSerializer(many=True), **errors(403, 404)})
class BallotListAPIView(generics.ListAPIView[Ballot]):
    """Ballots that are open, closed or released (seat holders and administrators)."""

    serializer_class = BallotSerializer
    permission_classes = [IsAuthenticated, InPortal]
    queryset = (
        Ballot.objects.exclude(status=BallotStatus.DRAFT)
        .defer(*BALLOT_HEAVY_COLUMNS)
        .order_by("-closes_at", "-id")
    )


@extend_schema(responses={200: BallotSerializer, **errors(403, 404)})
class BallotDetailAPIView(generics.RetrieveAPIView[Ballot]):
    serializer_class = BallotSerializer
    permission_classes = [IsAuthenticated, InPortal]
    queryset = Ballot.objects.exclude(status=BallotStatus.DRAFT)


@extend_schema(responses={200: VoteSerializer(many=True), **errors(403, 404)})
class MyVoteListAPIView(generics.ListAPIView[Vote]):
    """The votes you cast (as holder, substitute or proxy), with their receipts."""

    serializer_class = VoteSerializer
    permission_classes = [IsAuthenticated, InPortal]

    def get_queryset(self) -> QuerySet[Vote]:
        return Vote.objects.filter(cast_by_id=self.request.user.pk).order_by("-cast_at", "-id")


class VoteCastAPIView(APIView):
    """Cast or change your vote on an open ballot; the answer carries the receipt."""

    permission_classes = [IsAuthenticated, InPortal]

    @extend_schema(
        request=VoteInputSerializer, responses={201: VoteSerializer, **errors(400, 403, 404)}
    )
    def post(self, request: Request, pk: int) -> Response:
        ballot = generics.get_object_or_404(
            Ballot.objects.exclude(status=BallotStatus.DRAFT), pk=pk
        )
        data = VoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            vote = services.vote_cast(
                ballot=ballot,
                voter=request.user,
                at=timezone.now(),
                seat_id=data.validated_data.get("seat"),
                choice=data.validated_data.get("choice", ""),
                points=data.validated_data.get("points"),
            )
        except services.GovernanceError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(VoteSerializer(vote).data, status=status.HTTP_201_CREATED)


@method_decorator(public_cached, name="dispatch")
@extend_schema(responses={200: DecisionSerializer(many=True), **errors(404)})
class DecisionListAPIView(generics.ListAPIView[Ballot]):
    """The public decision register: released ballots, newest first; each one's
    result and bundle are on its detail (`api_url`)."""

    serializer_class = DecisionSerializer
    permission_classes = [AllowAny]
    queryset = released_decisions()


@extend_schema(responses={200: DecisionDetailSerializer, **errors(404)})
class DecisionDetailAPIView(generics.RetrieveAPIView[Ballot]):
    """One decision with its published bundle (recompute it with `python3 verify.py ballot`
    and the decision's page address; the site serves verify.py at /transparency/verify.py)."""

    serializer_class = DecisionDetailSerializer
    permission_classes = [AllowAny]
    queryset = Ballot.objects.filter(status=BallotStatus.RELEASED)
