"""Song sections: found on songs of a known form, covering every analysed song, and on the song page.

Each song is analysed once (cached); the file runs in about ten seconds.
"""

from __future__ import annotations

import functools
import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.urls import reverse

from choreography.demo_songs import DEMO_SONGS, demo_song, synthesize, write_demo_song
from choreography.domain import Phrase
from choreography.music import SongAnalysis, analyze_audio
from choreography.music.evaluation import StructuredSong, TrueSection, section_scores, structured_song
from choreography.music.sections import LABELS, PhraseFeatures, Section, find_sections, section_names
from tests.factories import SONG_ANALYSIS, make_song


@functools.cache
def known_form(name: str, **variation: float) -> tuple[StructuredSong, SongAnalysis]:
    truth = structured_song(name, **variation)
    return truth, analyze_audio(truth.samples, truth.sr)


@functools.cache
def demo_analysis(slug: str) -> SongAnalysis:
    result = synthesize(demo_song(slug))
    return analyze_audio(result.samples, result.sr)


def found_form(analysis: SongAnalysis) -> list[tuple[str, int, int | None]]:
    return [(section.label, section.first_phrase, section.repeat_of) for section in analysis.sections]


def true_form(truth: StructuredSong) -> list[tuple[str, int, int | None]]:
    return [(section.label, section.first_phrase, section.repeat_of) for section in truth.sections]


@pytest.mark.parametrize("name", ["with_mambo", "no_mambo", "with_break", "long_intro"])
def test_it_finds_the_form_of_a_song(name: str) -> None:
    truth, analysis = known_form(name)
    assert found_form(analysis) == true_form(truth)
    scores = section_scores(truth, [section.to_dict() for section in analysis.sections], analysis.tempo_bpm)
    assert scores == {
        "boundary_hit_rate": 1.0,
        "boundary_precision": 1.0,
        "label_accuracy": 1.0,
        "repeat_accuracy": 1.0,
    }


def test_boundaries_and_repeats_survive_noise() -> None:
    truth, analysis = known_form("with_break", noise_db=10.0)
    scores = section_scores(truth, [section.to_dict() for section in analysis.sections], analysis.tempo_bpm)
    assert scores["boundary_hit_rate"] == 1.0
    assert scores["repeat_accuracy"] >= 0.85


def test_a_repeat_points_at_the_first_time_its_music_played() -> None:
    _, analysis = known_form("with_mambo")
    choruses = [index for index, section in enumerate(analysis.sections) if section.label == "chorus"]
    assert len(choruses) == 3
    assert analysis.sections[choruses[0]].repeat_of is None
    assert [analysis.sections[index].repeat_of for index in choruses[1:]] == [choruses[0], choruses[0]]
    names = section_names([section.to_dict() for section in analysis.sections])
    assert [names[index] for index in choruses] == ["chorus 1", "chorus 2", "chorus 3"]
    assert names[0] == "intro" and names[-1] == "outro"


@pytest.mark.parametrize("slug", [song.slug for song in DEMO_SONGS])
def test_sections_cover_every_phrase_of_a_demo_song_once(slug: str) -> None:
    analysis = demo_analysis(slug)
    sections, phrases = analysis.sections, analysis.phrases
    assert sections[0].first_phrase == 0
    for before, after in zip(sections, sections[1:]):
        assert after.first_phrase == before.first_phrase + before.phrases
        assert after.start_s == before.end_s
    assert sum(section.phrases for section in sections) == len(phrases)
    for index, section in enumerate(sections):
        assert section.label in LABELS
        assert section.start_s == phrases[section.first_phrase].start_s
        assert section.end_s == phrases[section.first_phrase + section.phrases - 1].end_s
        if section.repeat_of is not None:
            assert 0 <= section.repeat_of < index
            assert sections[section.repeat_of].repeat_of is None
    # The demo songs alternate derecho, majao and mambo: all three are heard, and they come back.
    assert {"verse", "chorus", "mambo"} <= {section.label for section in sections}
    assert any(section.repeat_of is not None for section in sections)


def test_sections_go_into_the_json_and_back() -> None:
    analysis = demo_analysis("fuego-lento")
    data = json.loads(json.dumps(analysis.to_dict()))
    assert data["sections"][0] == {
        "label": analysis.sections[0].label,
        "start_s": analysis.sections[0].start_s,
        "end_s": analysis.sections[0].end_s,
        "first_phrase": 0,
        "phrases": analysis.sections[0].phrases,
        "repeat_of": None,
    }
    assert SongAnalysis.from_dict(data).sections == analysis.sections


def test_an_analysis_stored_before_sections_loads_with_none() -> None:
    old = demo_analysis("fuego-lento").to_dict()
    del old["sections"]
    loaded = SongAnalysis.from_dict(old)
    assert loaded.sections == []
    assert len(loaded.phrases) == len(old["phrases"])


def test_analyze_song_prints_the_sections(tmp_path) -> None:
    path = write_demo_song(demo_song("fuego-lento"), tmp_path / "song.wav")
    out = StringIO()
    call_command("analyze_song", str(path), "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert [section["label"] for section in data["sections"]] == [
        section.label for section in demo_analysis("fuego-lento").sections
    ]


def _features(loudness: list[float], chords: list[int]) -> PhraseFeatures:
    """Features of made-up phrases: a loudness each, and a chord (one chroma bin) each."""
    n = len(loudness)
    rng = np.random.default_rng(0)
    harmony = np.zeros((n, 12))
    harmony[np.arange(n), chords] = 1.0
    return PhraseFeatures(
        harmony=harmony,
        timbre=np.array(loudness)[:, None] * 40 + rng.normal(0, 0.5, (n, 12)),
        rhythm=np.c_[np.full(n, 2.0), np.ones(n), np.ones(n)] + rng.normal(0, 0.01, (n, 3)),
        loudness=np.array(loudness)[:, None],
    )


def _phrases(n: int) -> list[Phrase]:
    return [Phrase(start_s=4.0 * i, end_s=4.0 * (i + 1), energy=0.5) for i in range(n)]


def test_a_one_phrase_drop_between_sections_is_a_break() -> None:
    # verse (4), chorus (2), one quiet phrase, verse again (4), chorus again (2)
    loudness = [0.3] * 4 + [0.6] * 2 + [0.05] + [0.3] * 4 + [0.6] * 2
    chords = [0, 5, 7, 0, 8, 3, 5, 0, 5, 7, 0, 8, 3]
    sections = find_sections(_features(loudness, chords), _phrases(len(loudness)))
    assert [(s.label, s.first_phrase, s.phrases, s.repeat_of) for s in sections] == [
        ("verse", 0, 4, None),
        ("chorus", 4, 2, None),
        ("break", 6, 1, None),
        ("verse", 7, 4, 0),
        ("chorus", 11, 2, 1),
    ]


def test_the_same_chords_played_louder_are_not_a_repeat() -> None:
    # A quiet verse, then its chords again with the whole band: another section, not the verse again.
    loudness = [0.2] * 4 + [0.7] * 4
    chords = [0, 5, 7, 0] * 2
    sections = find_sections(_features(loudness, chords), _phrases(len(loudness)))
    assert [(s.first_phrase, s.repeat_of) for s in sections] == [(0, None), (4, None)]


def test_a_single_phrase_song_is_one_verse() -> None:
    sections = find_sections(_features([0.5], [0]), _phrases(1))
    assert sections == [Section("verse", 0.0, 4.0, 0, 1, None)]


def test_section_scores_fall_with_a_missed_boundary_and_a_wrong_label() -> None:
    downbeats = np.arange(0.0, 44.0, 4.0)  # ten phrases of 4 s, then the closing "1"
    truth = StructuredSong(
        "made-up",
        np.zeros(1),
        22050,
        np.arange(0.0, 41.0, 0.5),
        downbeats,
        [TrueSection("intro", 0, 2, None), TrueSection("verse", 2, 4, None), TrueSection("verse", 6, 4, 1)],
    )
    right = [
        {"label": "intro", "start_s": 0.0, "end_s": 8.0, "repeat_of": None},
        {"label": "verse", "start_s": 8.0, "end_s": 24.0, "repeat_of": None},
        {"label": "verse", "start_s": 24.0, "end_s": 40.0, "repeat_of": 1},
    ]
    assert section_scores(truth, right, 120.0) == {
        "boundary_hit_rate": 1.0,
        "boundary_precision": 1.0,
        "label_accuracy": 1.0,
        "repeat_accuracy": 1.0,
    }
    merged = [
        {"label": "intro", "start_s": 0.0, "end_s": 8.0, "repeat_of": None},
        {"label": "chorus", "start_s": 8.0, "end_s": 40.0, "repeat_of": None},
    ]
    scores = section_scores(truth, merged, 120.0)
    assert scores["boundary_hit_rate"] == 0.5
    assert scores["label_accuracy"] == 0.2
    assert scores["repeat_accuracy"] == pytest.approx(2 / 3)


SECTIONS = [
    {"label": "intro", "start_s": 0.0, "end_s": 7.5, "first_phrase": 0, "phrases": 2, "repeat_of": None},
    {"label": "chorus", "start_s": 7.5, "end_s": 22.5, "first_phrase": 2, "phrases": 4, "repeat_of": None},
    {"label": "verse", "start_s": 22.5, "end_s": 37.5, "first_phrase": 6, "phrases": 4, "repeat_of": None},
    {"label": "chorus", "start_s": 37.5, "end_s": 60.0, "first_phrase": 10, "phrases": 6, "repeat_of": 1},
]


def _song_with_sections(owner):
    song = make_song(owner)
    song.analysis, song.duration_s = {**SONG_ANALYSIS, "sections": SECTIONS}, 60.0
    song.save()
    return song


@pytest.mark.django_db
class TestSongPageSections:
    def test_the_chart_names_each_section_and_its_repeats(self, owner_client, owner) -> None:
        song = _song_with_sections(owner)
        page = owner_client.get(reverse("song_detail", args=[song.pk])).content.decode()
        assert (
            'class="section-band section-chorus" style="left:62.5%;width:37.5%" data-name="chorus 2" data-short="C2"'
            in page
        )
        assert '<strong>chorus 2</strong> <span class="muted">repeats chorus 1</span>' in page
        assert "<strong>intro</strong>" in page and "intro 1" not in page
        chart = json.loads(page.split('<script id="chart-data" type="application/json">')[1].split("</script>")[0])
        assert [section["name"] for section in chart["sections"]] == ["intro", "chorus 1", "verse", "chorus 2"]
        assert chart["sections"][3]["repeats"] == "chorus 1"

    def test_a_song_analysed_before_sections_still_shows_its_chart(self, owner_client, owner) -> None:
        song = make_song(owner)
        assert "sections" not in song.analysis
        response = owner_client.get(reverse("song_detail", args=[song.pk]))
        assert response.status_code == 200
        page = response.content.decode()
        assert 'id="energy-chart"' in page
        assert "section-strip" not in page and "<h2>Sections</h2>" not in page
        chart = json.loads(page.split('<script id="chart-data" type="application/json">')[1].split("</script>")[0])
        assert chart["sections"] == []


@pytest.mark.django_db
class TestSongApiSections:
    def test_the_detail_gives_the_sections(self, api, owner) -> None:
        song = _song_with_sections(owner)
        assert api.get(f"/api/songs/{song.pk}/").json()["analysis"]["sections"] == SECTIONS

    def test_a_song_analysed_before_sections_has_none(self, api, owner) -> None:
        song = make_song(owner)
        assert api.get(f"/api/songs/{song.pk}/").json()["analysis"]["sections"] == []


@pytest.mark.django_db
def test_demo_songs_analysed_before_sections_are_analysed_again(monkeypatch) -> None:
    from choreography import demo_songs
    from choreography.models import Song
    from choreography.services.songs import demo_songs_ensure

    short = demo_songs.DemoSong("test-short", "Short Test Song", 126.0, 40.0, 7, 55.0, ((0, "min"), (5, "min")))
    monkeypatch.setattr(demo_songs, "DEMO_SONGS", (short,))
    assert demo_songs_ensure() == 1
    song = Song.objects.get(demo_slug="test-short")
    assert song.analysis["sections"]
    old = {key: value for key, value in song.analysis.items() if key != "sections"}
    Song.objects.filter(pk=song.pk).update(analysis=old)

    assert demo_songs_ensure() == 1
    song.refresh_from_db()
    assert song.status == Song.Status.READY
    assert sum(section["phrases"] for section in song.analysis["sections"]) == len(song.analysis["phrases"])
    assert demo_songs_ensure() == 0
