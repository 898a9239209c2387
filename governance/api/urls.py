"""governance API: urls."""

from __future__ import annotations

from django.urls import path

from governance.api import views

urlpatterns = [
    path("ballots/", views.BallotListAPIView.as_view(), name="api-ballot-list"),
    path("ballots/<int:pk>/", views.BallotDetailAPIView.as_view(), name="api-ballot-detail"),
    path("ballots/<int:pk>/vote/", views.VoteCastAPIView.as_view(), name="api-ballot-vote"),
    path("votes/mine/", views.MyVoteListAPIView.as_view(), name="api-my-votes"),
    path("decisions/", views.DecisionListAPIView.as_view(), name="api-decision-list"),
    path("decisions/<int:pk>/", views.DecisionDetailAPIView.as_view(), name="api-decision-detail"),
]
