"""Use cases: functions named <entity>_<action> with keyword-only arguments.

Views, API views, commands and jobs call these; they hold the business rules. Reads that change
nothing are in `choreography.selectors`.
"""

from choreography.services.songs import song_analyze, song_create, song_delete  # noqa: F401
