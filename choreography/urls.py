from django.urls import path

from choreography import views

urlpatterns = [
    path("", views.home, name="home"),
    path("describe/", views.describe, name="describe"),
    path("routines/", views.routine_list, name="routine_list"),
    path("routines/<int:routine_id>/", views.routine_detail, name="routine_detail"),
    path("routines/<int:routine_id>/status/", views.routine_status, name="routine_status"),
    path("routines/<int:routine_id>/retry/", views.routine_retry, name="routine_retry"),
    path("routines/<int:routine_id>/rename/", views.routine_rename, name="routine_rename"),
    path("routines/<int:routine_id>/delete/", views.routine_delete, name="routine_delete"),
    path("routines/<int:routine_id>/share/", views.routine_share, name="routine_share"),
    path("routines/<int:routine_id>/video.mp4", views.routine_video, name="routine_video"),
    path("routines/<int:routine_id>/chapters.vtt", views.routine_chapters, name="routine_chapters"),
    path("routines/<int:routine_id>/moves/<int:order>/swap/", views.routine_move_swap, name="routine_move_swap"),
    path("routines/<int:routine_id>/moves/<int:order>/lock/", views.routine_move_lock, name="routine_move_lock"),
    path("routines/<int:routine_id>/regenerate/", views.routine_regenerate, name="routine_regenerate"),
    path("routines/<int:routine_id>/practice/", views.practice_log, name="practice_log"),
    path("shared/<str:token>/", views.shared_routine, name="shared_routine"),
    path("shared/<str:token>/video.mp4", views.shared_routine_video, name="shared_routine_video"),
    path("songs/", views.song_list, name="song_list"),
    path("songs/<int:song_id>/", views.song_detail, name="song_detail"),
    path("songs/<int:song_id>/status/", views.song_status, name="song_status"),
    path("songs/<int:song_id>/audio", views.song_audio, name="song_audio"),
    path("songs/<int:song_id>/delete/", views.song_delete, name="song_delete"),
    path("moves/<slug:slug>/learned/", views.move_learned, name="move_learned"),
    path("progress/", views.progress, name="progress"),
    path("clips/<int:clip_id>/preview.mp4", views.clip_preview, name="clip_preview"),
    path("clips/<int:clip_id>/thumbnail.jpg", views.clip_thumbnail, name="clip_thumbnail"),
    path("clips/<int:clip_id>/original", views.clip_original, name="clip_original"),
    path("clips/<int:clip_id>/normalised.mp4", views.clip_normalised, name="clip_normalised"),
]
