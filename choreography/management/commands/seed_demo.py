from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from choreography import vocab
from choreography.errors import ChoreographyError
from choreography.services.catalog import catalog_seed, demo_clips_ensure
from choreography.services.demo import demo_routine_ensure
from choreography.services.songs import demo_songs_ensure

DEMO_USER = ("demo", "bachata-demo-2026")
ADMIN_USER = ("admin", "bachata-admin-2026")
# A fresh machine renders the whole catalog's clips in minutes (about 22,000 frames, both twins): the beginner
# moves come first, enough for a first routine and the demo routine, so `make demo` serves while the rest render,
# a level at a time (each level joins the catalog when its clips are recorded).
FIRST_LEVELS = ("beginner",)
CLIP_SETS: dict[str, list[tuple[str, ...] | None]] = {
    "all": [None],
    "first": [FIRST_LEVELS],
    "rest": [(level,) for level in vocab.LEVELS if level not in FIRST_LEVELS],
}


class Command(BaseCommand):
    help = (
        "Seed everything the demo needs: catalog, instructional clips, demo songs, the public demo routine and "
        "its preview, demo users (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=2, help="processes for clip rendering")
        parser.add_argument("--no-users", action="store_true")
        parser.add_argument(
            "--clips",
            choices=sorted(CLIP_SETS),
            default="all",
            help="which moves' clips to render where missing: all; first (the beginner moves: a first routine, "
            "the demo routine); rest (the others, e.g. in the background while the server already runs)",
        )

    def handle(self, *args, **options):
        try:
            started = time.perf_counter()
            report = catalog_seed()
            self.stdout.write(
                f"catalog: {report.created} created, {report.updated} updated, {report.unchanged} unchanged"
            )
            for levels in CLIP_SETS[options["clips"]]:
                clip_started = time.perf_counter()
                which = "" if levels is None else f" ({', '.join(levels)} moves)"
                # The first seed on a machine draws the clips: say so before the wait, not after.
                self.stdout.write(f"demo clips{which}: rendering those missing (the first time: minutes)...")
                self.stdout.flush()
                rendered = demo_clips_ensure(workers=options["workers"], levels=levels)
                self.stdout.write(
                    f"demo clips{which}: {rendered} rendered (as seen and mirrored) "
                    f"in {time.perf_counter() - clip_started:.1f} s"
                )
                self.stdout.flush()
            song_started = time.perf_counter()
            songs = demo_songs_ensure()
            self.stdout.write(f"demo songs: {songs} made in {time.perf_counter() - song_started:.1f} s")
            from choreography.catalog_index import index_refresh

            index_refresh()
            demo_started = time.perf_counter()
            demo = demo_routine_ensure()
            built = "built" if demo.built else "up to date"
            preview = "made" if demo.preview_made else "up to date"
            self.stdout.write(
                f"demo routine: {built}, preview {preview} in {time.perf_counter() - demo_started:.1f} s "
                f"(/shared/{demo.routine.share_token}/)"
            )
        except ChoreographyError as exc:
            raise CommandError(str(exc)) from exc
        if not options["no_users"]:
            self._users()
        self.stdout.write(f"seeded in {time.perf_counter() - started:.1f} s")

    def _users(self) -> None:
        users = get_user_model()
        if not users.objects.filter(username=DEMO_USER[0]).exists():
            users.objects.create_user(DEMO_USER[0], password=DEMO_USER[1])
        if not users.objects.filter(username=ADMIN_USER[0]).exists():
            users.objects.create_superuser(ADMIN_USER[0], password=ADMIN_USER[1])
