"""The JSON API's URLs, under /api/ (bachata/urls.py). Names are reversed as "api:<name>"."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from choreography.api import docs, loops, moves, practice, profile, routines, songs

app_name = "api"

urlpatterns = [
    path("moves/", moves.MoveListApi.as_view(), name="move_list"),
    path("moves/search/", moves.MoveSearchApi.as_view(), name="move_search"),
    path("songs/", songs.SongListApi.as_view(), name="song_list"),
    path("songs/<int:song_id>/", songs.SongDetailApi.as_view(), name="song_detail"),
    path("routines/", routines.RoutineListApi.as_view(), name="routine_list"),
    path("routines/<int:routine_id>/", routines.RoutineDetailApi.as_view(), name="routine_detail"),
    path(
        "routines/<int:routine_id>/moves/<int:order>/swap/",
        routines.RoutineMoveSwapApi.as_view(),
        name="routine_move_swap",
    ),
    path(
        "routines/<int:routine_id>/moves/<int:order>/lock/",
        routines.RoutineMoveLockApi.as_view(),
        name="routine_move_lock",
    ),
    path("routines/<int:routine_id>/video/", routines.RoutineVideoApi.as_view(), name="routine_video"),
    path(
        "routines/<int:routine_id>/video/mirrored/",
        routines.RoutineVideoMirroredApi.as_view(),
        name="routine_video_mirrored",
    ),
    path("routines/<int:routine_id>/regenerate/", routines.RoutineRegenerateApi.as_view(), name="routine_regenerate"),
    path("routines/<int:routine_id>/practice/", practice.RoutinePracticeApi.as_view(), name="routine_practice"),
    path("routines/<int:routine_id>/loops/", loops.RoutineLoopListApi.as_view(), name="routine_loop_list"),
    path(
        "routines/<int:routine_id>/loops/<int:loop_id>/",
        loops.RoutineLoopDetailApi.as_view(),
        name="routine_loop_detail",
    ),
    path("practice/", practice.PracticeListApi.as_view(), name="practice_list"),
    path("profile/", profile.ProfileApi.as_view(), name="profile"),
    path("profile/export/", profile.ProfileExportApi.as_view(), name="profile_export"),
    path("profile/export/<int:export_id>/", profile.ProfileExportDetailApi.as_view(), name="profile_export_detail"),
    path(
        "profile/export/<int:export_id>/download/",
        profile.ProfileExportDownloadApi.as_view(),
        name="profile_export_download",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs.api_docs, name="docs"),
]
