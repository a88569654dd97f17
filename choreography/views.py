"""Pages. Small function views: load what the user owns (or 404), call a service, render."""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Max, Min
from django.db.models.functions import Lower
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseNotFound, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import profile_for
from choreography import selectors, services, stages
from choreography.errors import ChoreographyError, SongInUseError
from choreography.forms import EXAMPLES, DescribeForm, RenameForm, SongUploadForm
from choreography.models import Move, MoveClip, Routine, Song
from choreography.planner.form import section_heading
from choreography.ranged import ranged_media_response, routine_video_response
from choreography.services import demo as demo_services
from choreography.services import loops as loop_services
from choreography.services import practice as practice_services
from choreography.services import routines as routine_services
from choreography.services.files import media_exists


def _get_routine_for_user(request, routine_id: int) -> Routine:
    return get_object_or_404(selectors.routines_for_user(request.user), pk=routine_id)


def _get_song_for_user(request, song_id: int) -> Song:
    return get_object_or_404(Song, pk=song_id, owner=request.user)


# Where the demo's player keeps practice not yet sent (browser storage); base.html hands keep-practice.js the same.
DEMO_PRACTICE_PENDING_KEY = "bachata.practice.pending.demo"


def _not_found(message: str) -> HttpResponseNotFound:
    # Said in plain words: these addresses are opened directly, in a tab or by a media element.
    return HttpResponseNotFound(message, content_type="text/plain; charset=utf-8")


def home(request):
    context = {"examples": EXAMPLES, "demo": _demo_showcase()}
    if request.user.is_authenticated:
        context["recent"] = selectors.routines_for_user(request.user)[:5]
    return render(request, "choreography/home.html", context)


def _demo_showcase() -> dict | None:
    """The demo routine for the home page: its address, and whether its preview is there to play. None on a
    database that was never seeded (the page then shows no preview)."""
    routine = demo_services.demo_routine_find()
    if routine is None:
        return None
    video_name, poster_name = demo_services.demo_preview_names(routine.video.name)
    return {
        "routine": routine,
        "url": reverse("shared_routine", args=[routine.share_token]),
        "preview": media_exists(video_name) and media_exists(poster_name),
        # The preview's addresses stay the same when the demo is rebuilt: this tells a browser's cache.
        "version": Path(video_name).stem.removeprefix("preview-")[:12],
    }


def _demo_preview_file(request, *, poster: bool):
    routine = demo_services.demo_routine_find()
    names = demo_services.demo_preview_names(routine.video.name) if routine else ("", "")
    name = names[1] if poster else names[0]
    if not media_exists(name):
        return _not_found("There is no demo preview yet: it is made by `manage.py seed_demo`.")
    return ranged_media_response(request, name, content_type="image/jpeg" if poster else "video/mp4")


@require_GET
def demo_preview(request):
    """The home page's silent preview of the demo routine (anyone may watch it)."""
    return _demo_preview_file(request, poster=False)


@require_GET
def demo_preview_poster(request):
    return _demo_preview_file(request, poster=True)


@login_required
def describe(request):
    # Failed songs are not offered, but a post naming one gets routine_create's message saying why.
    songs = selectors.songs_for_user(request.user).order_by("owner", "title")
    initial = {"text": request.GET.get("text", ""), "song": request.GET.get("song") or None}
    form = DescribeForm(request.POST or None, songs=songs, initial=initial)
    if request.method != "POST":
        form.fields["song"].queryset = songs.exclude(status=Song.Status.FAILED)
    if request.method == "POST" and form.is_valid():
        made = routine_services.routine_just_made(
            user=request.user, text=form.cleaned_data["text"], song=form.cleaned_data["song"]
        )
        if made is not None:
            return redirect("routine_detail", routine_id=made.pk)
        try:
            routine = routine_services.routine_create(
                user=request.user,
                text=form.cleaned_data["text"],
                song=form.cleaned_data["song"],
                duration_s=form.cleaned_data["duration_s"],
            )
        except ChoreographyError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("routine_detail", routine_id=routine.pk)
    context = {"form": form, "examples": EXAMPLES, "level": profile_for(request.user).skill_level}
    return render(request, "choreography/describe.html", context)


# My routines: ?sort= one of these (newest first unless asked), each with the tie-breaks that keep it stable.
ROUTINE_SORTS = {
    "newest": ("Newest first", ("-created_at", "-pk")),
    "oldest": ("Oldest first", ("created_at", "pk")),
    "title": ("Title", (Lower("title"), "-created_at")),
    "song": ("Song", (Lower("song__title"), "-created_at")),
}


@login_required
def routine_list(request):
    sort = request.GET.get("sort", "")
    if sort not in ROUTINE_SORTS:
        sort = "newest"
    routines = (
        selectors.routines_for_user(request.user)
        .annotate(first_start_s=Min("moves__start_s"), last_end_s=Max("moves__end_s"))
        .order_by(*ROUTINE_SORTS[sort][1])
    )
    for routine in routines:
        if routine.last_end_s is not None:
            routine.length_s = routine.last_end_s - routine.first_start_s
    choices = [(value, label) for value, (label, _) in ROUTINE_SORTS.items()]
    context = {"routines": routines, "sort": sort, "sort_choices": choices}
    return render(request, "choreography/routine_list.html", context)


@login_required
def routine_detail(request, routine_id: int):
    routine = _get_routine_for_user(request, routine_id)
    return render(request, "choreography/routine_detail.html", _player_context(routine, owner_view=True))


def _player_context(routine: Routine, *, owner_view: bool) -> dict:
    moves = list(routine.moves.select_related("move"))
    analysis = routine.song.analysis or {}
    if owner_view:
        video_url = reverse("routine_video", args=[routine.pk])
        mirrored_url = reverse("routine_video_mirrored", args=[routine.pk])
    else:
        video_url = reverse("shared_routine_video", args=[routine.share_token])
        mirrored_url = reverse("shared_routine_video_mirrored", args=[routine.share_token])
    player = {
        "routineId": routine.pk,
        "status": routine.status,
        "ownerView": owner_view,
        "statusUrl": reverse("routine_status", args=[routine.pk]) if owner_view else "",
        "practiceUrl": reverse("practice_log", args=[routine.pk]) if owner_view else "",
        "beats": analysis.get("beats", []),
        "downbeats": analysis.get("downbeats", []),
        # The player counts "5 6 7 8" before the music when the first "1" comes too soon to find it.
        "firstDownbeatS": (analysis.get("downbeats") or [None])[0],
        "tempoBpm": routine.song.tempo_bpm or analysis.get("tempo_bpm"),
        "videoUrl": video_url,
        # The routine assembled mirrored: Mirror switches to it. Empty for a routine made before there were
        # mirrored twins: the player then flips the video with CSS.
        "mirroredVideoUrl": mirrored_url if routine.video_mirrored else "",
        "moves": [
            {
                "order": m.order,
                "slug": m.move.slug,
                "name": m.move.name,
                "level": m.move.level,
                "start": m.start_s,
                "end": m.end_s,
                "counts": m.counts,
            }
            for m in moves
        ],
        # Saved loops: shown through the share link too, where they cannot be changed (no loopsUrl).
        "loops": _saved_loops(routine, moves),
        "loopsUrl": reverse("api:routine_loop_list", args=[routine.pk]) if owner_view else "",
    }
    alternatives = routine_services.routine_alternatives(routine=routine) if owner_view else {}
    previous_section = ""
    for move in moves:
        move.alternatives = alternatives.get(move.order, [])
        # A heading over the first move of each section ("Chorus 2 — repeats chorus 1").
        move.section_heading = ""
        if move.section_name and move.section_name != previous_section:
            move.section_heading = section_heading(move.section_name, move.section_repeats)
        previous_section = move.section_name
    stage = stages.routine_stage(routine)
    return {
        "routine": routine,
        "moves": moves,
        "player": player,
        "video_url": video_url,
        "rename_form": RenameForm(initial={"title": routine.title}),
        "stage": stage,
        "stage_label": stages.routine_stage_label(stage),
    }


def _saved_loops(routine: Routine, moves: list) -> list[dict]:
    times = {m.order: (m.start_s, m.end_s) for m in moves}
    loops = []
    for loop in routine.saved_loops.all():
        bounds = loop_services.loop_bounds(loop, times)
        if bounds is not None:  # a move loop whose moves a regeneration took away is left out
            loops.append({"id": loop.pk, "name": loop.name, "start": bounds[0], "end": bounds[1]})
    return loops


@login_required
@require_GET
def routine_status(request, routine_id: int):
    """?wait=S&status=..&stage=.. (the page's polls): answer once either differs, within S seconds."""
    routine = _get_routine_for_user(request, routine_id)
    try:
        wait_s = float(request.GET.get("wait") or 0)
    except ValueError:
        wait_s = 0
    if wait_s > 0:
        routine = stages.routine_wait_for_news(
            routine, status=request.GET.get("status", ""), stage=request.GET.get("stage", ""), timeout_s=wait_s
        )
    stage = stages.routine_stage(routine)
    return JsonResponse(
        {
            "id": routine.pk,
            "status": routine.status,
            "stage": stage,
            "stage_label": stages.routine_stage_label(stage),
            "error": routine.error,
            "notes": routine.notes,
            "timings_ms": routine.timings_ms,
            "url": reverse("routine_detail", args=[routine.pk]),
        }
    )


@login_required
@require_POST
def routine_retry(request, routine_id: int):
    routine = _get_routine_for_user(request, routine_id)
    try:
        routine_services.routine_retry(routine=routine)
    except ChoreographyError as exc:
        messages.error(request, str(exc))
    return redirect("routine_detail", routine_id=routine.pk)


@login_required
@require_POST
def routine_rename(request, routine_id: int):
    routine = _get_routine_for_user(request, routine_id)
    form = RenameForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Not renamed: a routine needs a name (up to 200 characters). It is still “{routine}”.")
    else:
        routine_services.routine_rename(routine=routine, title=form.cleaned_data["title"])
        messages.success(request, f"Renamed to “{routine}”.")
    return redirect(request.POST.get("next") or reverse("routine_detail", args=[routine.pk]))


@login_required
@require_POST
def routine_delete(request, routine_id: int):
    routine = _get_routine_for_user(request, routine_id)
    routine_services.routine_delete(routine=routine)
    messages.success(request, f"Deleted “{routine}”.")
    return redirect("routine_list")


@login_required
@require_POST
def routine_share(request, routine_id: int):
    routine = _get_routine_for_user(request, routine_id)
    routine_services.routine_set_shared(routine=routine, shared=request.POST.get("shared") == "1")
    return redirect("routine_detail", routine_id=routine.pk)


@login_required
@require_GET
def routine_video(request, routine_id: int):
    return routine_video_response(request, _get_routine_for_user(request, routine_id))


@login_required
@require_GET
def routine_video_mirrored(request, routine_id: int):
    return routine_video_response(request, _get_routine_for_user(request, routine_id), mirrored=True)


@login_required
@require_GET
def routine_chapters(request, routine_id: int):
    routine = _get_routine_for_user(request, routine_id)
    lines = ["WEBVTT", ""]
    for move in routine.moves.select_related("move"):
        lines += [f"{move.order + 1}", f"{_vtt_time(move.start_s)} --> {_vtt_time(move.end_s)}", move.move.name, ""]
    return HttpResponse("\n".join(lines), content_type="text/vtt; charset=utf-8")


def _vtt_time(seconds: float) -> str:
    millis = int(round(max(seconds, 0) * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


@login_required
@require_POST
def routine_move_swap(request, routine_id: int, order: int):
    routine = _get_routine_for_user(request, routine_id)
    try:
        routine_services.routine_swap_move(routine=routine, order=order, slug=request.POST.get("slug", ""))
    except ChoreographyError as exc:
        messages.error(request, str(exc))
        return _back_to_move(routine, order)
    swapped = routine.moves.select_related("move").get(order=order)
    # The rebuild may be done already (jobs in the request) or still running: say which, read after it.
    routine.refresh_from_db(fields=["status"])
    video = (
        "the video is ready."
        if routine.status == Routine.Status.READY
        else "the video is being rebuilt; this page shows it when it is ready."
    )
    messages.success(
        request,
        f"Swapped in “{swapped.move.name}” and locked it, so it stays when you regenerate (Unlock to let it change); "
        + video,
    )
    return _back_to_move(routine, order)


@login_required
@require_POST
def routine_move_lock(request, routine_id: int, order: int):
    routine = _get_routine_for_user(request, routine_id)
    locked = request.POST.get("locked") == "1"
    try:
        row = routine_services.routine_move_lock(routine=routine, order=order, locked=locked)
    except ChoreographyError as exc:
        messages.error(request, str(exc))
        return _back_to_move(routine, order)
    # Locking changes no video: nothing is rebuilt, so nothing is said about one.
    name = row.move.name
    if locked:
        messages.success(request, f"Locked “{name}”: it stays where it is when you regenerate.")
    else:
        messages.success(request, f"Unlocked “{name}”: regenerating may put another move there.")
    return _back_to_move(routine, order)


def _back_to_move(routine: Routine, order: int):
    """The routine page at the move just changed, not at its top."""
    return redirect(reverse("routine_detail", args=[routine.pk]) + f"#move-{order}")


@login_required
@require_POST
def routine_regenerate(request, routine_id: int):
    routine = _get_routine_for_user(request, routine_id)
    try:
        routine_services.routine_regenerate(routine=routine)
        messages.success(request, "Building a new version; locked moves stay where they are.")
    except ChoreographyError as exc:
        messages.error(request, str(exc))
    return redirect("routine_detail", routine_id=routine.pk)


@login_required
@require_POST
def practice_log(request, routine_id: int):
    return _practice_log(request, _get_routine_for_user(request, routine_id))


@login_required
@require_POST
def demo_practice_log(request):
    """Practice on the demo routine, kept in the dancer's own history: sent from the demo's player by a
    dancer who is logged in, and, just after sign-up or log-in, what they practised there as a visitor
    (kept on their device until then, static/js/keep-practice.js)."""
    routine = demo_services.demo_routine_find()
    if routine is None:
        return _not_found("There is no demo routine on this site.")
    return _practice_log(request, routine)


def _practice_log(request, routine: Routine):
    try:
        payload = json.loads(request.body or b"{}")
    # RecursionError: "[[[[..." nested deeper than Python's decoder goes.
    except (ValueError, UnicodeDecodeError, RecursionError):
        return HttpResponseBadRequest("The practice log must be JSON.")
    try:
        session = practice_services.practice_log(user=request.user, routine=routine, payload=payload)
    except ChoreographyError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"id": session.pk, "seconds_practised": session.seconds_practised})


def _shared_routine(token: str) -> Routine:
    return get_object_or_404(Routine.objects.select_related("song"), share_token=token, shared=True)


@require_GET
def shared_routine(request, token: str):
    routine = _shared_routine(token)
    context = _player_context(routine, owner_view=False)
    context["is_demo"] = routine.share_token == demo_services.DEMO_SHARE_TOKEN
    if context["is_demo"]:
        # Practice on the demo is the dancer's own: sent to their history when logged in; a visitor's is
        # kept on their device and sent once they sign up or log in (static/js/keep-practice.js).
        context["player"].update(
            practiceUrl=reverse("demo_practice_log"),
            practicePendingKey=DEMO_PRACTICE_PENDING_KEY,
            practiceQueueOnly=not request.user.is_authenticated,
        )
    return render(request, "choreography/routine_detail.html", context)


@require_GET
def shared_routine_video(request, token: str):
    return routine_video_response(request, _shared_routine(token))


@require_GET
def shared_routine_video_mirrored(request, token: str):
    return routine_video_response(request, _shared_routine(token), mirrored=True)


@login_required
def song_list(request):
    form = SongUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            song = services.song_create(
                owner=request.user, upload=form.cleaned_data["file"], title=form.cleaned_data["title"]
            )
        except ChoreographyError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("song_detail", song_id=song.pk)
    songs = (
        selectors.songs_for_user(request.user)
        .annotate(routine_count=Count("routines"))
        .order_by("owner", "-created_at")
    )
    return render(request, "choreography/song_list.html", {"songs": songs, "form": form})


@login_required
def song_detail(request, song_id: int):
    song = get_object_or_404(selectors.songs_for_user(request.user), pk=song_id)
    analysis = song.analysis or {}
    chart = {
        "energy": analysis.get("energy_curve", []),
        "phrases": analysis.get("phrases", []),
        "breaks": analysis.get("breaks", []),
        "duration": song.duration_s or 0,
        # Analyses stored before songs had sections have none: the chart draws no bands.
        "sections": _chart_sections(analysis.get("sections", []), song.duration_s or 0),
    }
    return render(
        request,
        "choreography/song_detail.html",
        {
            "song": song,
            "chart": chart,
            "routines": song.routines.filter(owner=request.user),
            "stage_label": stages.song_stage_label(stages.song_stage(song)),
        },
    )


def _chart_sections(sections: list[dict], duration_s: float) -> list[dict]:
    """Each section as the song page draws it: its name ("chorus 2"), the one it repeats, and its place
    on the chart in percent of the song."""
    from choreography.music.sections import section_names

    names = section_names(sections)
    scale = 100.0 / duration_s if duration_s else 0.0
    return [
        {
            "label": section["label"],
            "name": name,
            # For a band too narrow for the name: "C2" for "chorus 2".
            "short": name[0].upper() + name.partition(" ")[2],
            "repeats": names[section["repeat_of"]] if section.get("repeat_of") is not None else "",
            "start_s": section["start_s"],
            "end_s": section["end_s"],
            "left": round(section["start_s"] * scale, 3),
            "width": round((section["end_s"] - section["start_s"]) * scale, 3),
        }
        for section, name in zip(sections, names)
    ]


@login_required
@require_GET
def song_audio(request, song_id: int):
    """The song as the routines play it (the AAC copy made at analysis), for the song page's player."""
    song = get_object_or_404(selectors.songs_for_user(request.user), pk=song_id)
    if not song.audio_aac or not media_exists(song.audio_aac.name):
        return _not_found("This song's audio is not ready yet: it is made while the song is analysed.")
    return ranged_media_response(request, song.audio_aac.name, content_type="audio/mp4")


@login_required
@require_GET
def song_status(request, song_id: int):
    song = get_object_or_404(selectors.songs_for_user(request.user), pk=song_id)
    stage = stages.song_stage(song)
    return JsonResponse(
        {
            "id": song.pk,
            "status": song.status,
            "stage": stage,
            "stage_label": stages.song_stage_label(stage),
            "error": song.error,
            "tempo_bpm": song.tempo_bpm,
        }
    )


@login_required
@require_POST
def song_delete(request, song_id: int):
    song = _get_song_for_user(request, song_id)
    try:
        deleted = services.song_delete(song=song, with_routines=request.POST.get("with_routines") == "1")
    except SongInUseError as exc:
        # Nothing goes until the dancer has seen, and confirmed, which routines would go with the song.
        return render(request, "choreography/song_delete.html", {"song": song, "routines": exc.routines})
    except ChoreographyError as exc:
        messages.error(request, str(exc))
        return redirect("song_detail", song_id=song.pk)
    routines = f" and {deleted} routine{pluralize(deleted)}" if deleted else ""
    messages.success(request, f"Deleted “{song.title}”{routines}.")
    return redirect("song_list")


@login_required
@require_POST
def move_learned(request, slug: str):
    move = get_object_or_404(Move, slug=slug, published=True)
    practice_services.move_mark_learned(user=request.user, move=move, learned=request.POST.get("learned") == "1")
    return redirect(request.POST.get("next") or reverse("progress"))


@login_required
def progress(request):
    context = practice_services.progress_summary(user=request.user)
    context["chart_data"] = practice_services.move_history(user=request.user)
    # One count of minutes on the page: the chart draws the table's.
    context["chart_data"]["minutes"] = [week["minutes"] for week in context["weeks"]]
    context["charted_moves"] = practice_services.charted_moves(context["chart_data"])
    context["try_song"] = _song_to_try_with(request.user)
    return render(request, "choreography/progress.html", context)


def _song_to_try_with(user) -> Song | None:
    """The song a "Try next" routine is danced to: the dancer's last practised or chosen one, or a demo."""
    last = selectors.routines_for_user(user).filter(song__status=Song.Status.READY).order_by("-created_at").first()
    if last is not None:
        return last.song
    return selectors.songs_for_user(user).filter(status=Song.Status.READY).order_by("owner", "title").first()


# Sessions on one page of the practice history.
HISTORY_PAGE_SIZE = 20


@login_required
@require_GET
def history(request):
    paginator = Paginator(practice_services.practice_history(user=request.user), HISTORY_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {"page": page, "days": practice_services.sessions_by_day(page.object_list)}
    return render(request, "choreography/history.html", context)


@staff_member_required
@require_GET
def clip_preview(request, clip_id: int):
    clip = get_object_or_404(MoveClip, pk=clip_id)
    name = clip.normalised.name or clip.original.name
    if not media_exists(name):
        raise Http404("No file for this clip.")
    return ranged_media_response(request, name, content_type="video/mp4")


# Types of the clip files staff upload; the standard library does not know every one of them.
CLIP_CONTENT_TYPES = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
    ".avi": "video/x-msvideo",
}


def _clip_file_response(request, clip_id: int, field: str, *, missing: str, content_type: str | None = None):
    clip = get_object_or_404(MoveClip, pk=clip_id)
    name = getattr(clip, field).name
    if not media_exists(name):
        return _not_found(missing)
    content_type = content_type or CLIP_CONTENT_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")
    return ranged_media_response(request, name, content_type=content_type)


@staff_member_required
@require_GET
def clip_thumbnail(request, clip_id: int):
    return _clip_file_response(
        request, clip_id, "thumbnail", missing="This clip has no thumbnail yet.", content_type="image/jpeg"
    )


@staff_member_required
@require_GET
def clip_original(request, clip_id: int):
    missing = "This clip has no uploaded file (demo clips are rendered), or the file is missing."
    return _clip_file_response(request, clip_id, "original", missing=missing)


@staff_member_required
@require_GET
def clip_normalised(request, clip_id: int):
    missing = "This clip has no normalised file yet (it is made when the clip is normalised)."
    return _clip_file_response(request, clip_id, "normalised", missing=missing, content_type="video/mp4")
