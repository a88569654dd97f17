from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from choreography.errors import CatalogError
from choreography.services.catalog import catalog_seed


class Command(BaseCommand):
    help = "Load or update the move catalog from choreography/catalog/moves.json (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, help="another catalog file in the same format")
        parser.add_argument("--force", action="store_true", help="overwrite moves staff edited in the admin")

    def handle(self, *args, **options):
        try:
            report = catalog_seed(path=options["file"], force=options["force"])
        except CatalogError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"catalog: {report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
            f"{report.kept_staff_edits} kept (edited by staff; --force overwrites)"
        )
