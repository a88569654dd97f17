"""HTTP Range responses (206 Partial Content) for videos: browsers need them to seek and loop.

Django's FileResponse answers every request with the whole file; a <video> element asks for
byte ranges and, without 206 answers, cannot seek in Safari and seeks badly elsewhere.
"""

from __future__ import annotations

import mimetypes
import os
import re
import unicodedata
from urllib.parse import quote

from django.http import Http404, HttpResponse, StreamingHttpResponse

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def ranged_media_response(
    request,
    name: str,
    *,
    content_type: str | None = None,
    download_name: str | None = None,
    inline_name: str | None = None,
):
    """Serve the stored file `name` (local folder or bucket) honouring a single `Range: bytes=a-b`
    header; 416 for an unsatisfiable range.

    The bytes stream through this response from the storage, a bucket being asked for the range alone,
    so the ownership check the view made holds for every range a player asks for.
    `download_name` makes it a download under that name; `inline_name` is the name a browser offers when
    the dancer saves what it plays (never the storage name)."""
    from choreography.services.files import media_storage, read_media_range

    size = media_storage().size(name)
    content_type = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    header = request.headers.get("Range", "").strip()
    match = _RANGE.match(header) if header else None
    if not match or (not match.group(1) and not match.group(2)):
        response = StreamingHttpResponse(read_media_range(name, 0, size), content_type=content_type)
        response["Accept-Ranges"] = "bytes"
        response["Content-Length"] = str(size)
        _disposition(response, download_name, inline_name)
        return response
    first, last = match.group(1), match.group(2)
    if first:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    else:
        # "bytes=-N": the last N bytes.
        start = max(size - int(last), 0)
        end = size - 1
    if start >= size or start > end:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    length = end - start + 1
    response = StreamingHttpResponse(read_media_range(name, start, length), status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    _disposition(response, download_name, inline_name)
    return response


def _disposition(response, download_name: str | None, inline_name: str | None) -> None:
    if download_name:
        response["Content-Disposition"] = attachment_disposition(download_name)
    elif inline_name:
        response["Content-Disposition"] = attachment_disposition(inline_name, disposition="inline")
    elif response.has_header("Content-Disposition"):
        # FileResponse names the file it opened: a storage name, which says nothing to a dancer.
        del response["Content-Disposition"]


# Never part of a file name: control characters, quotes, backslashes, path separators, and the
# bidirectional overrides that can make "evil\u202egpj.mp4" look like it ends in ".jpg".
_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f-\x9f"\\/\u200e\u200f\u202a-\u202e\u2066-\u2069]')


def attachment_disposition(filename: str, *, default_stem: str = "download", disposition: str = "attachment") -> str:
    """`attachment; filename="ascii fallback"; filename*=UTF-8''percent-encoded` (RFC 6266, RFC 5987).

    Browsers read filename*, so a title with accents, dashes or emoji downloads under its own name;
    the fallback serves clients that read only filename. (Django's content_disposition_header writes
    filename* alone for a non-ASCII name, with no fallback.)
    """
    name = " ".join(_UNSAFE_IN_NAME.sub(" ", filename).split())
    stem, extension = os.path.splitext(name)
    stem = stem.strip(" .") or default_stem
    fallback = (_ascii_fallback(stem) or default_stem) + _ascii_fallback(extension)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(stem + extension, safe='')}"


def _ascii_fallback(text: str) -> str:
    # "Bachata en el café – week 1 💃" -> "Bachata en el cafe - week 1": accents off, dashes kept, emoji gone.
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join("-" if unicodedata.category(char) == "Pd" else char for char in decomposed)
    return " ".join(kept.encode("ascii", "ignore").decode("ascii").split())


def routine_video_response(request, routine, *, mirrored: bool = False):
    """A ready routine's MP4, or its mirrored twin, with Range support (`?download=1` for an attachment).
    404 until it exists; the mirrored one's file name says so."""
    from choreography.models import Routine
    from choreography.services.files import media_exists

    video = routine.video_mirrored if mirrored else routine.video
    if routine.status != Routine.Status.READY or not video:
        raise Http404(
            "This routine has no mirrored video." if mirrored and routine.video else "This routine has no video yet."
        )
    if not media_exists(video.name):
        raise Http404("The video file is missing.")
    title = (routine.title or "routine")[:60]
    name = f"{title} (mirrored).mp4" if mirrored else f"{title}.mp4"
    download = name if request.GET.get("download") else None
    return ranged_media_response(
        request, video.name, content_type="video/mp4", download_name=download, inline_name=name
    )
