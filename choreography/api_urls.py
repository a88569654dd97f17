"""The JSON API, under /api/ (bachata/urls.py). Names are reversed as "api:<name>"."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from choreography import apis

app_name = "api"

urlpatterns = [
    path("moves/", apis.MoveListApi.as_view(), name="move_list"),
    path("moves/search/", apis.MoveSearchApi.as_view(), name="move_search"),
    path("songs/", apis.SongListApi.as_view(), name="song_list"),
    path("songs/<int:song_id>/", apis.SongDetailApi.as_view(), name="song_detail"),
    path("routines/", apis.RoutineListApi.as_view(), name="routine_list"),
    path("routines/<int:routine_id>/", apis.RoutineDetailApi.as_view(), name="routine_detail"),
    path(
        "routines/<int:routine_id>/moves/<int:order>/swap/", apis.RoutineMoveSwapApi.as_view(), name="routine_move_swap"
    ),
    path(
        "routines/<int:routine_id>/moves/<int:order>/lock/", apis.RoutineMoveLockApi.as_view(), name="routine_move_lock"
    ),
    path("routines/<int:routine_id>/video/", apis.RoutineVideoApi.as_view(), name="routine_video"),
    path("routines/<int:routine_id>/regenerate/", apis.RoutineRegenerateApi.as_view(), name="routine_regenerate"),
    path("routines/<int:routine_id>/practice/", apis.RoutinePracticeApi.as_view(), name="routine_practice"),
    path("practice/", apis.PracticeListApi.as_view(), name="practice_list"),
    path("profile/", apis.ProfileApi.as_view(), name="profile"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", apis.api_docs, name="docs"),
]
