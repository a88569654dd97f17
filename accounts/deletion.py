"""Delete my account: every row of the dancer in one transaction, then every file through the storage.

What goes: their routines (with blueprints, practice sessions, saved loops and videos), their songs
(uploads and audio copies), their exports, move progress, API token, sessions, the jobs that worked
on their rows, the profile and the user. Demo songs and the catalog are nobody's and stay.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import ProtectedError

from accounts.models import DataExport
from accounts.removal import files_remove_on_commit
from choreography.errors import ChoreographyError

logger = logging.getLogger(__name__)

WRONG_CONFIRMATION = "Type your username (or your password) to confirm. Nothing was deleted."
LAST_STAFF = (
    "You are the last staff account, so this account cannot delete itself: make another staff account "
    "first. Nothing was deleted."
)


DATABASE_SESSION_ENGINES = ("django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db")


class LastStaffError(ChoreographyError):
    """The only active staff account asked to delete itself: nobody would be left to run the site."""


def confirmation_matches(user, confirmation: str) -> bool:
    """Whether what the dancer typed is their username (exactly, spaces around it aside) or their password."""
    typed = (confirmation or "")[:1000]
    if not typed.strip():
        return False
    return typed.strip() == user.get_username() or user.check_password(typed)


def account_files(user) -> list[str]:
    """The stored names of every file of the dancer's: song uploads and audio, routine videos, exports.

    Read under the rows' locks (inside a transaction): a job finishing just now may be storing new ones;
    one that stores after the deletion finds its row gone and removes its own file."""
    from choreography.models import Routine, Song

    names: list[str] = []
    for row in Song.objects.select_for_update().filter(owner=user).values_list("upload", "audio_aac"):
        names.extend(row)
    for row in Routine.objects.select_for_update().filter(owner=user).values_list("video", "video_mirrored"):
        names.extend(row)
    names.extend(DataExport.objects.select_for_update().filter(owner=user).values_list("archive", flat=True))
    return [name for name in names if name]


@transaction.atomic
def account_delete(*, user, confirmation: str) -> int:
    """Delete the account and everything of it, after the dancer typed their username or password.

    The rows go in this transaction; the files are named in it (accounts.removal) and removed once it
    commits. Raises ChoreographyError (nothing deleted) for a wrong confirmation, LastStaffError for
    the last staff account. Returns how many files are to be removed."""
    from choreography.models import Job, Routine, Song

    if not confirmation_matches(user, confirmation):
        raise ChoreographyError(WRONG_CONFIRMATION)
    users = get_user_model().objects
    # Lock the staff rows: two last staff members deleting themselves at once cannot both pass.
    me = users.select_for_update().filter(pk=user.pk).first()
    if me is None:
        raise ChoreographyError("This account was already deleted.")
    if me.is_staff:
        staff = set(users.select_for_update().filter(is_staff=True, is_active=True).values_list("pk", flat=True))
        if not staff - {me.pk}:
            raise LastStaffError(LAST_STAFF)
    names = account_files(me)
    routines = Routine.objects.filter(owner=me)
    songs = Song.objects.filter(owner=me)
    exports = DataExport.objects.filter(owner=me)
    for model, rows in ((Routine, routines), (Song, songs), (DataExport, exports)):
        subject_ids = list(rows.values_list("pk", flat=True))
        Job.objects.filter(subject_type=ContentType.objects.get_for_model(model), subject_id__in=subject_ids).delete()
    # Routines before songs: a routine protects its song. Their moves, practice and loops cascade.
    routines.delete()
    try:
        songs.delete()
    except ProtectedError:
        raise ChoreographyError("Another dancer's routine uses one of your songs; nothing was deleted.") from None
    _delete_sessions(me.pk)
    me.delete()
    files_remove_on_commit(names)
    logger.info("account %s deleted with %d files", user.pk, len(names))
    return len(names)


def _delete_sessions(user_id: int) -> int:
    """End every stored session of the account (database sessions; other engines forget a deleted user)."""
    from django.conf import settings
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    if settings.SESSION_ENGINE not in DATABASE_SESSION_ENGINES:
        return 0
    ids = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get(SESSION_KEY)) == str(user_id)
    ]
    return Session.objects.filter(pk__in=ids).delete()[0]
