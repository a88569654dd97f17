from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from choreography.errors import ChoreographyError
from choreography.services.catalog import catalog_seed, demo_clips_ensure
from choreography.services.demo import demo_routine_ensure
from choreography.services.songs import demo_songs_ensure

DEMO_USER = ("demo", "bachata-demo-2026")
ADMIN_USER = ("admin", "bachata-admin-2026")


class Command(BaseCommand):
    help = (
        "Seed everything the demo needs: catalog, instructional clips, demo songs, the public demo routine and "
        "its preview, demo users (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=2, help="processes for clip rendering")
        parser.add_argument("--no-users", action="store_true")

    def handle(self, *args, **options):
        try:
            started = time.perf_counter()
            report = catalog_seed()
            self.stdout.write(
                f"catalog: {report.created} created, {report.updated} updated, {report.unchanged} unchanged"
            )
            clip_started = time.perf_counter()
            # The first seed on a machine draws every move's clip: say so before the wait, not after.
            self.stdout.write("demo clips: rendering those missing (the first time: a few minutes on two cores)...")
            self.stdout.flush()
            rendered = demo_clips_ensure(workers=options["workers"])
            self.stdout.write(
                f"demo clips: {rendered} rendered (as seen and mirrored) in {time.perf_counter() - clip_started:.1f} s"
            )
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
