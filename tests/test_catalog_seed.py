"""seed_catalog: idempotent, keeps staff edits unless --force, all-or-nothing on bad data; the Move admin."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from choreography.catalog import data
from choreography.models import Move

pytestmark = pytest.mark.django_db

CATALOG = data.load_catalog()


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_catalog", *args, stdout=out)
    return out.getvalue()


def _db_state() -> list[dict]:
    return list(Move.objects.order_by("slug").values())


def _raw_catalog() -> list[dict]:
    return json.loads(data.CATALOG_PATH.read_text(encoding="utf-8"))


def _admin_change_data(move: Move, **changes) -> dict:
    """The POST body of the Move admin change form, as a browser sends it (unchecked boxes left out)."""
    values = {
        "slug": move.slug,
        "name": move.name,
        "description": move.description,
        "level": move.level,
        "counts": move.counts,
        "start_position": move.start_position,
        "end_position": move.end_position,
        "elements": list(move.elements),
        "styles": list(move.styles),
        "tags": ", ".join(move.tags),
        "energy": move.energy,
        "opener": move.opener,
        "finisher": move.finisher,
        "published": move.published,
        "edited_by_staff": move.edited_by_staff,
        **changes,
    }
    body = {key: value for key, value in values.items() if value is not False}
    body = {key: ("on" if value is True else value) for key, value in body.items()}
    # The MoveClip inline's management form.
    body.update(
        {
            "clips-TOTAL_FORMS": "0",
            "clips-INITIAL_FORMS": "0",
            "clips-MIN_NUM_FORMS": "0",
            "clips-MAX_NUM_FORMS": "1000",
        }
    )
    return body


class TestSeedCatalog:
    def test_it_creates_every_move_of_the_data_file(self):
        output = _seed()
        assert f"{len(CATALOG)} created, 0 updated, 0 unchanged" in output
        assert Move.objects.count() == len(CATALOG)
        first = Move.objects.get(slug=CATALOG[0].slug)
        assert first.to_spec() == CATALOG[0]
        assert not first.edited_by_staff

    def test_a_second_run_changes_nothing(self):
        _seed()
        before = _db_state()
        output = _seed()
        assert f"0 created, 0 updated, {len(CATALOG)} unchanged, 0 kept" in output
        assert _db_state() == before

    def test_it_updates_a_move_whose_data_changed_and_keeps_its_slug_and_id(self, tmp_path):
        _seed()
        move = Move.objects.get(slug=CATALOG[0].slug)
        raw = _raw_catalog()
        raw[0]["name"] = "Basic, renamed"
        path = tmp_path / "moves.json"
        path.write_text(json.dumps(raw))
        output = _seed("--file", str(path))
        assert f"0 created, 1 updated, {len(CATALOG) - 1} unchanged" in output
        renamed = Move.objects.get(slug=CATALOG[0].slug)
        assert (renamed.pk, renamed.name) == (move.pk, "Basic, renamed")

    def test_a_move_edited_in_the_admin_is_kept_unless_forced(self, staff_client):
        _seed()
        move = Move.objects.get(slug=CATALOG[0].slug)
        url = reverse("admin:choreography_move_change", args=[move.pk])
        response = staff_client.post(url, _admin_change_data(move, name="Our house basic", energy=0.9))
        assert response.status_code == 302, response.content.decode()[:2000]
        move.refresh_from_db()
        assert (move.name, move.energy, move.edited_by_staff) == ("Our house basic", 0.9, True)

        output = _seed()
        assert f"0 created, 0 updated, {len(CATALOG) - 1} unchanged, 1 kept" in output
        move.refresh_from_db()
        assert move.name == "Our house basic"

        output = _seed("--force")
        assert "0 created, 1 updated" in output
        move.refresh_from_db()
        assert (move.name, move.energy, move.edited_by_staff) == (CATALOG[0].name, CATALOG[0].energy, False)


def _bad_entry(kind: str, raw: list[dict]) -> tuple[int, dict]:
    bad = dict(raw[5])
    bad["slug"] = "a-broken-move"
    if kind == "level":
        bad["level"] = "expert"
    elif kind == "position":
        bad["end_position"] = "upside-down"
    else:
        bad["slug"] = raw[0]["slug"]
    return len(raw), bad


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("level", "unknown level 'expert'"),
        ("position", "unknown end_position 'upside-down'"),
        ("duplicate", "duplicate slug"),
    ],
)
@pytest.mark.parametrize("seeded", [False, True], ids=["empty-db", "seeded-db"])
def test_a_bad_data_file_fails_naming_file_and_entry_and_changes_nothing(tmp_path, kind, expected, seeded):
    if seeded:
        _seed()
    raw = _raw_catalog()
    # A valid change before the bad entry must not be applied either.
    raw[0]["name"] = "Changed before the bad entry"
    raw.append({"slug": "brand-new-move", **{k: v for k, v in raw[1].items() if k != "slug"}})
    index, bad = _bad_entry(kind, raw)
    raw.append(bad)
    path = tmp_path / "broken-moves.json"
    path.write_text(json.dumps(raw))
    before = _db_state()

    with pytest.raises(CommandError) as caught:
        _seed("--file", str(path))

    message = str(caught.value)
    assert str(path) in message
    assert f"entry #{index} ({bad['slug']!r})" in message
    assert expected in message
    assert _db_state() == before


def test_a_file_that_is_not_json_fails_with_its_name(tmp_path):
    path = tmp_path / "moves.json"
    path.write_text("[{not json")
    with pytest.raises(CommandError, match="not valid JSON"):
        _seed("--file", str(path))
    assert Move.objects.count() == 0


class TestMoveAdmin:
    @pytest.mark.parametrize(
        ("query", "field", "value"),
        [
            ("level=beginner", "level", "beginner"),
            ("level=advanced", "level", "advanced"),
            ("start_position__exact=closed", "start_position", "closed"),
            ("end_position__exact=open", "end_position", "open"),
            ("published__exact=1", "published", True),
            ("opener__exact=1", "opener", True),
            ("finisher__exact=1", "finisher", True),
        ],
    )
    def test_the_changelist_filters(self, staff_client, query, field, value):
        _seed()
        response = staff_client.get(reverse("admin:choreography_move_changelist") + "?" + query)
        # An unknown filter redirects with ?e=1; a known one renders.
        assert response.status_code == 200
        shown = list(response.context["cl"].queryset)
        assert shown
        assert all(getattr(move, field) == value for move in shown)
        expected = Move.objects.filter(**{field: value}).count()
        assert len(shown) == expected

    @pytest.mark.parametrize("element", ["turns", "hip_rolls", "shadow_position"])
    def test_the_changelist_filters_by_element(self, staff_client, element):
        _seed()
        response = staff_client.get(reverse("admin:choreography_move_changelist") + f"?element={element}")
        assert response.status_code == 200
        shown = list(response.context["cl"].queryset)
        assert shown
        assert all(element in move.elements for move in shown)
        assert len(shown) == sum(element in move.elements for move in Move.objects.all())

    def test_elements_styles_and_tags_are_edited_from_the_vocabulary(self, staff_client):
        _seed()
        move = Move.objects.get(slug=CATALOG[0].slug)
        url = reverse("admin:choreography_move_change", args=[move.pk])
        body = _admin_change_data(move, elements=["turns", "dips"], styles=["sensual"], tags="Romantic,  flashy ,")
        assert staff_client.post(url, body).status_code == 302
        move.refresh_from_db()
        assert (move.elements, move.styles, move.tags) == (["turns", "dips"], ["sensual"], ["romantic", "flashy"])
        response = staff_client.post(url, _admin_change_data(move, elements=["flying"]))
        assert response.status_code == 200
        assert "flying is not one of the available choices" in response.content.decode()
        move.refresh_from_db()
        assert move.elements == ["turns", "dips"]

    def test_the_clip_changelist_filters_by_move_level(self, staff_client):
        response = staff_client.get(reverse("admin:choreography_moveclip_changelist") + "?move__level=beginner")
        assert response.status_code == 200

    def test_the_search_finds_a_move(self, staff_client):
        _seed()
        response = staff_client.get(reverse("admin:choreography_move_changelist") + "?q=" + CATALOG[0].slug)
        assert response.status_code == 200
        assert CATALOG[0].slug in {move.slug for move in response.context["cl"].queryset}

    def test_publish_and_unpublish_actions(self, staff_client):
        _seed()
        chosen = list(Move.objects.order_by("slug").values_list("pk", flat=True)[:3])
        url = reverse("admin:choreography_move_changelist")

        response = staff_client.post(url, {"action": "unpublish", "_selected_action": chosen})
        assert response.status_code == 302
        assert not Move.objects.filter(pk__in=chosen, published=True).exists()
        assert Move.objects.filter(published=True).count() == len(CATALOG) - 3

        response = staff_client.post(url, {"action": "publish", "_selected_action": chosen[:1]})
        assert response.status_code == 302
        assert Move.objects.filter(published=False).count() == 2
        assert Move.objects.get(pk=chosen[0]).published

    def test_non_staff_cannot_reach_the_admin(self, owner):
        _seed()
        client = Client()
        client.force_login(owner)
        for url in (
            reverse("admin:choreography_move_changelist"),
            reverse("admin:choreography_move_change", args=[Move.objects.first().pk]),
            reverse("admin:choreography_moveclip_add"),
        ):
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("admin:login"))
        chosen = list(Move.objects.values_list("pk", flat=True)[:2])
        client.post(reverse("admin:choreography_move_changelist"), {"action": "unpublish", "_selected_action": chosen})
        assert Move.objects.filter(published=False).count() == 0

    def test_anonymous_visitors_are_sent_to_the_login(self, client):
        response = client.get(reverse("admin:choreography_move_changelist"))
        assert response.status_code == 302
