from __future__ import annotations

from rest_framework import generics
from rest_framework.permissions import AllowAny

from projects.api.serializers import ProjectSerializer
from projects.models import Project


class ProjectListAPIView(generics.ListAPIView[Project]):
    """The public catalogue, read-only."""

    serializer_class = ProjectSerializer
    permission_classes = [AllowAny]
    queryset = Project.objects.order_by("name", "id")


class ProjectDetailAPIView(generics.RetrieveAPIView[Project]):
    serializer_class = ProjectSerializer
    permission_classes = [AllowAny]
    queryset = Project.objects.all()
    lookup_field = "slug"
