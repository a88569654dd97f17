from __future__ import annotations

from django import forms
from django.conf import settings

from choreography.models import Song

EXAMPLES = [
    "A romantic bachata with lots of turns for beginners",
    "Something energetic with footwork and syncopation, no dips",
    "My first class: just basics and a simple turn, about a minute",
    "A smooth sensual routine with body waves and hip rolls",
    "Show-off Dominican routine with spins and shines, two minutes",
]


class DescribeForm(forms.Form):
    text = forms.CharField(
        label="What would you like to dance?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": EXAMPLES[0]}),
    )
    song = forms.ModelChoiceField(queryset=Song.objects.none(), empty_label=None)
    duration_s = forms.IntegerField(
        label="Length in seconds (optional)",
        required=False,
        min_value=15,
        max_value=600,
        help_text="Leave empty to use what you wrote, or the whole song.",
    )

    def __init__(self, *args, songs=None, **kwargs):
        super().__init__(*args, **kwargs)
        if songs is not None:
            self.fields["song"].queryset = songs
            self.fields["song"].label_from_instance = _song_label


def _song_label(song: Song) -> str:
    parts = [song.title]
    if song.is_demo:
        parts.append("(demo)")
    if song.tempo_bpm:
        parts.append(f"{song.tempo_bpm:.0f} BPM")
    if song.status != Song.Status.READY:
        parts.append(f"[{song.status}]")
    return " ".join(parts)


class SongUploadForm(forms.Form):
    title = forms.CharField(max_length=200, required=False)
    file = forms.FileField()

    def __init__(self, *args, **kwargs):
        from choreography.media.audio_probe import FORMATS_WE_TAKE
        from choreography.services.songs import SONG_EXTENSIONS, SONG_MIN_DURATION_S

        super().__init__(*args, **kwargs)
        field = self.fields["file"]
        # Extensions for desktop pickers, the MIME family for phones (which filter by type).
        field.widget.attrs["accept"] = ",".join([*SONG_EXTENSIONS, "audio/*"])
        field.help_text = (
            f"{FORMATS_WE_TAKE}; "
            f"{SONG_MIN_DURATION_S:.0f} s to {settings.SONG_MAX_DURATION_S // 60} minutes, "
            f"up to {settings.SONG_MAX_BYTES // (1024 * 1024)} MB."
        )


class RenameForm(forms.Form):
    title = forms.CharField(max_length=200)
