from __future__ import annotations

from django.core.management.base import BaseCommand

from bachata.runner import STALE_AFTER_S, sweep_stale_jobs


class Command(BaseCommand):
    help = (
        "Requeue or fail jobs whose worker died, re-dispatch jobs that never reached Redis, and remove the "
        "scratch files a killed worker left on this machine, expired data exports, and stored files whose "
        "removal failed after their rows were deleted (run every few minutes)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--stale-after", type=int, default=STALE_AFTER_S, help="seconds a job may run")

    def handle(self, *args, **options):
        from accounts.export import data_export_sweep
        from accounts.removal import files_to_remove_sweep
        from choreography.services.files import scratch_sweep

        report = sweep_stale_jobs(stale_after_s=options["stale_after"])
        report["scratch_files_removed"] = scratch_sweep()
        report["exports_expired"] = data_export_sweep()
        report.update(files_to_remove_sweep())
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in report.items()))
