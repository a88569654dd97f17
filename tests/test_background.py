"""The embedded mode never blocks a request (issue 12): without Redis, jobs run after commit in a
background thread of the web process (bachata.inprocess), with the same Job rows, claim-once and retries.

Everything here is real: the thread, the describe and upload requests, the generation and the analysis.
To show that a request did not wait for its job, the thread is first given a job that holds it until the
test opens a gate (`held_worker`): the request can only have returned because it did not run the job.
While the thread is held it does not touch the database, so the test's own queries never race it (the
test database is SQLite in memory, shared by every connection); the test reads what a job did only after
`worker.join()`. The figures (the longest request while a job runs) are bench_journey's, not a test's.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.db import connections
from django.urls import reverse

from bachata import queues, runner
from bachata.inprocess import worker
from bachata.runner import enqueue
from choreography import stages
from choreography.models import Job, Routine, Song
from choreography.services.files import media_path
from tests.browser_support import chromium, chromium_available
from tests.factories import PASSWORD
from tests.factories import ROUTINE_TEXT as TEXT

pytestmark = pytest.mark.django_db(transaction=True)

# Bounds on waits for the thread, generous for a slow shared machine: a failure, not a figure.
WAIT_S = 120

STARTED = threading.Event()
GATE = threading.Event()
RAN_IN: list[str] = []
CALLS: list[dict] = []


def hold_the_worker(**kwargs) -> None:
    """A job that keeps the worker thread busy, without touching the database, until the test opens GATE."""
    RAN_IN.append(threading.current_thread().name)
    STARTED.set()
    if not GATE.wait(WAIT_S):
        raise RuntimeError("the test never opened the gate")


def record_call(**kwargs) -> None:
    CALLS.append(kwargs)


def fail_call(**kwargs) -> None:
    raise ValueError("the input was bad: " + str(kwargs))


def flaky_call(*, failures: int) -> None:
    CALLS.append({"thread": threading.current_thread().name})
    if len(CALLS) <= failures:
        raise ConnectionResetError("connection reset by peer")


SWEPT = threading.Event()


def swept_and_run(**kwargs) -> None:
    SWEPT.set()


def remember_connection(**kwargs) -> None:
    # The worker thread's own connection object (django.db.connection would follow whoever reads it).
    CALLS.append({"connection": connections["default"]})
    connections["default"].ensure_connection()


@pytest.fixture
def thread_mode(settings):
    """The embedded site's configuration: no Redis, jobs in the background thread."""
    settings.REDIS_URL = ""
    settings.JOBS_IN_PROCESS = "thread"
    STARTED.clear()
    GATE.clear()
    RAN_IN.clear()
    CALLS.clear()
    yield
    GATE.set()
    # Nothing this test queued may still run when the next test starts (or the database goes).
    worker.join()


@pytest.fixture
def held_worker(thread_mode):
    """The worker thread, busy with a job that waits for GATE: whatever is queued now waits behind it."""
    enqueue(hold_the_worker, queue="gpu")
    assert STARTED.wait(WAIT_S), "the worker thread never started the first job"
    yield GATE
    GATE.set()


def routine_status(client, routine: Routine) -> dict:
    response = client.get(reverse("routine_status", args=[routine.pk]))
    assert response.status_code == 200
    return response.json()


def song_status(client, song: Song) -> dict:
    response = client.get(reverse("song_status", args=[song.pk]))
    assert response.status_code == 200
    return response.json()


def short_song(folder: Path) -> Path:
    from choreography.demo_songs import DemoSong, write_demo_song

    song = DemoSong("background", "Background Test", 128.0, 20.0, 3, 55.0, ((0, "min"), (5, "min"), (7, "7")))
    return write_demo_song(song, folder / "my-song.wav")


class TestTheWorkerThread:
    def test_enqueue_returns_before_the_job_runs_and_the_thread_runs_it(self, thread_mode):
        job = enqueue(hold_the_worker, queue="gpu", answer=1)
        # enqueue has returned although the job cannot end before the gate opens: it runs elsewhere.
        assert STARTED.wait(WAIT_S)
        assert RAN_IN == [worker.name] != [threading.current_thread().name]
        GATE.set()
        worker.join()
        job.refresh_from_db()
        assert job.status == Job.Status.READY
        assert job.started_at and job.finished_at

    def test_jobs_run_in_the_order_they_were_committed(self, held_worker):
        first = enqueue(record_call, queue="default", n=1)
        second = enqueue(record_call, queue="gpu", n=2)
        held_worker.set()
        worker.join()
        first.refresh_from_db()
        second.refresh_from_db()
        assert first.status == second.status == Job.Status.READY
        assert first.finished_at <= second.started_at

    def test_a_transient_error_is_retried_in_the_thread(self, thread_mode, monkeypatch):
        monkeypatch.setattr(queues, "IN_PROCESS_RETRY_PAUSES_S", (0, 0, 0))
        job = enqueue(flaky_call, failures=2)
        worker.join()
        job.refresh_from_db()
        assert job.status == Job.Status.READY
        assert job.transient_retries == 2
        assert [call["thread"] for call in CALLS] == [worker.name] * 3

    def test_a_failing_job_is_recorded_and_the_thread_goes_on(self, held_worker):
        # Queued while the thread is held: the second row is not written while the first job is recorded
        # (the in-memory test database refuses a second writer at once: "database table is locked").
        failing = enqueue(fail_call, x=1)
        after = enqueue(record_call, n=3)
        held_worker.set()
        worker.join()
        failing.refresh_from_db()
        after.refresh_from_db()
        assert failing.status == Job.Status.FAILED and "the input was bad" in failing.error
        assert after.status == Job.Status.READY

    def test_each_job_closes_its_database_connection(self, thread_mode):
        if connections["default"].vendor == "sqlite" and connections["default"].is_in_memory_db():
            pytest.skip("Django keeps an in-memory SQLite connection open, or the database would vanish")
        enqueue(remember_connection)
        worker.join()
        [call] = CALLS
        assert call["connection"].connection is None

    def test_at_start_it_runs_the_jobs_left_from_before(self, thread_mode):
        from django.utils import timezone

        # A process stopped with these rows queued (never run) and running (cut off half way, long ago).
        left_queued = Job.objects.create(func="tests.test_background.record_call", kwargs={"n": 4})
        cut_off = Job.objects.create(func="tests.test_background.record_call", status=Job.Status.RUNNING)
        Job.objects.filter(pk=cut_off.pk).update(started_at=timezone.now() - timezone.timedelta(hours=1))
        still_running = Job.objects.create(func="tests.test_background.record_call", status=Job.Status.RUNNING)
        Job.objects.filter(pk=still_running.pk).update(started_at=timezone.now())
        assert Job.objects.get(pk=left_queued.pk).status == Job.Status.QUEUED  # nothing ran them yet

        worker.resume_leftovers()
        worker.join()
        for job in (left_queued, cut_off, still_running):
            job.refresh_from_db()
        assert left_queued.status == Job.Status.READY
        assert cut_off.status == Job.Status.READY and cut_off.worker_losses == 1
        # Another process may still be working on a job that started a moment ago: it is left alone.
        assert still_running.status == Job.Status.RUNNING

    def test_a_serving_thread_sweeps_when_idle(self, thread_mode):
        from django.utils import timezone

        SWEPT.clear()
        cut_off = Job.objects.create(func="tests.test_background.swept_and_run", status=Job.Status.RUNNING)
        Job.objects.filter(pk=cut_off.pk).update(started_at=timezone.now() - timezone.timedelta(hours=1))
        worker.sweep_every_s = 0.05
        try:
            enqueue(record_call, n=5)  # wakes the thread; then it is idle
            assert SWEPT.wait(WAIT_S), "the idle thread never swept the job a crash cut off"
        finally:
            worker.sweep_every_s = None
        worker.join()
        cut_off.refresh_from_db()
        assert (cut_off.status, cut_off.worker_losses) == (Job.Status.READY, 1)

    def test_a_waiting_request_wakes_when_a_job_reports(self):
        from bachata.inprocess import Changes

        news = Changes()
        seen = news.count
        woke: list[int] = []
        waiter = threading.Thread(target=lambda: woke.append(news.wait(seen, WAIT_S)))
        waiter.start()
        news.bump()
        waiter.join(WAIT_S)
        assert woke == [seen + 1]
        # No news: it waits out its time and says so.
        assert news.wait(news.count, 0.01) == seen + 1


class TestNoRequestWaitsForItsJob:
    def test_describe_answers_at_once_and_the_routine_is_built_behind_it(self, held_worker, owner_client, demo_song):
        response = owner_client.post(reverse("describe"), {"text": TEXT, "song": demo_song.pk})
        routine = Routine.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("routine_detail", args=[routine.pk])
        # The thread is still held, so the request did not run the job: the routine waits for its turn.
        assert routine.status == Routine.Status.QUEUED
        status = routine_status(owner_client, routine)
        assert (status["status"], status["stage"]) == ("queued", stages.WAITING)
        assert status["stage_label"] == "Waiting for its turn…"
        # Asked to wait for news, and there is none while the thread is held: the same answer, in time.
        waited = owner_client.get(
            reverse("routine_status", args=[routine.pk]), {"wait": "0.3", "status": "queued", "stage": "waiting"}
        )
        assert (waited.json()["status"], waited.json()["stage"]) == ("queued", stages.WAITING)
        page = owner_client.get(reverse("routine_detail", args=[routine.pk])).content.decode()
        assert 'id="progress-stage"' in page and "Waiting for its turn…" in page
        api = owner_client.get(f"/api/routines/{routine.pk}/")
        assert api.status_code == 200 and api.json()["stage"] == stages.WAITING
        for name in ("home", "routine_list", "song_list", "describe"):
            assert owner_client.get(reverse(name)).status_code == 200, name

        held_worker.set()
        worker.join()
        routine.refresh_from_db()
        assert routine.status == Routine.Status.READY, routine.error
        assert media_path(routine.video.name).stat().st_size > 0
        job = Job.objects.for_subject(routine).get()
        # The service reported its stages on the job's own row; the last one stays for the record.
        assert (job.status, job.stage) == (Job.Status.READY, stages.ASSEMBLING)
        status = routine_status(owner_client, routine)
        assert (status["status"], status["stage"], status["stage_label"]) == ("ready", "", "")

    def test_an_upload_answers_at_once_and_a_routine_on_it_waits_for_its_analysis(
        self, held_worker, owner, owner_client, demo_song, tmp_path
    ):
        with short_song(tmp_path).open("rb") as handle:
            response = owner_client.post(reverse("song_list"), {"title": "Mi Canción", "file": handle})
        song = Song.objects.get(owner=owner)
        assert response.status_code == 302, response.content.decode()[:2000]
        assert song.status == Song.Status.QUEUED
        status = song_status(owner_client, song)
        assert (status["stage"], status["stage_label"]) == (stages.WAITING, "Waiting for its turn…")
        assert "Waiting for its turn…" in owner_client.get(reverse("song_detail", args=[song.pk])).content.decode()
        assert owner_client.get(f"/api/songs/{song.pk}/").json()["stage"] == stages.WAITING

        # Described before the song is analysed: the routine says so, and runs after the analysis.
        owner_client.post(reverse("describe"), {"text": TEXT, "song": song.pk})
        routine = Routine.objects.get(owner=owner)
        status = routine_status(owner_client, routine)
        assert (status["stage"], status["stage_label"]) == (stages.ANALYSING, "Analysing your song first…")

        held_worker.set()
        worker.join()
        song.refresh_from_db()
        routine.refresh_from_db()
        assert song.status == Song.Status.READY, song.error
        assert routine.status == Routine.Status.READY, routine.error
        song_job = Job.objects.for_subject(song).get()
        routine_job = Job.objects.for_subject(routine).get()
        assert song_job.stage == stages.CONVERTING
        assert song_job.finished_at <= routine_job.started_at

    def test_describing_twice_in_a_moment_makes_one_routine(self, held_worker, owner_client, demo_song):
        first = owner_client.post(reverse("describe"), {"text": TEXT, "song": demo_song.pk})
        second = owner_client.post(reverse("describe"), {"text": TEXT, "song": demo_song.pk})
        routine = Routine.objects.get()
        assert first["Location"] == second["Location"] == reverse("routine_detail", args=[routine.pk])
        # Other words are another routine.
        owner_client.post(reverse("describe"), {"text": "energetic footwork, no dips", "song": demo_song.pk})
        assert Routine.objects.count() == 2


class TestStages:
    def test_generation_reports_its_steps_in_order(self, demo_song):
        from choreography.generation import generate_blueprint

        heard: list[str] = []
        generate_blueprint(
            text=TEXT,
            request_data=None,
            profile_level="beginner",
            song_analysis=demo_song.analysis,
            duration_s=None,
            seed=1,
            on_stage=heard.append,
        )
        assert heard == [stages.UNDERSTANDING, stages.MATCHING, stages.PLANNING]

    def test_a_running_routine_names_the_stage_its_job_recorded(self, owner, owner_client, demo_song):
        routine = Routine.objects.create(owner=owner, text=TEXT, song=demo_song, level="beginner")
        job = Job.objects.create(func="choreography.jobs.routine_generate", subject=routine)
        Routine.objects.filter(pk=routine.pk).update(status=Routine.Status.RUNNING)
        Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
        assert routine_status(owner_client, routine)["stage"] == stages.UNDERSTANDING  # nothing reported yet
        Job.objects.filter(pk=job.pk).update(stage=stages.MATCHING)
        status = routine_status(owner_client, routine)
        assert (status["stage"], status["stage_label"]) == (stages.MATCHING, "Matching moves to your song…")

    def test_report_stage_outside_a_job_does_nothing(self):
        job = Job.objects.create(func="x", status=Job.Status.RUNNING)
        runner.report_stage(stages.MATCHING)
        job.refresh_from_db()
        assert job.stage == ""


# After busy.js's own listener: what the button says once the form is sent, kept across the page change.
RECORD_BUTTON = """() => { for (const form of document.querySelectorAll('form[data-busy]')) {
    form.addEventListener('submit', () => { const b = form.querySelector('button[type=submit]');
      sessionStorage.setItem('busy-' + form.id, JSON.stringify([b.textContent, b.disabled])); }); } }"""
# Room for a second POST to leave the browser after the second click. A slower browser can only hide a
# second POST (the check would pass without the guard), never make the test fail.
SECOND_CLICK_ROOM_MS = 500


def click_twice_while_sending(page, form: str) -> int:
    """Click a form's submit button; while its POST is on its way (held by a route), click again; then let
    the POSTs go. Returns how many POSTs the browser sent."""
    path = page.evaluate(f"new URL(document.querySelector('{form}').action).pathname")
    held = []
    page.route(f"**{path}", lambda route: held.append(route) if route.request.method == "POST" else route.continue_())
    box = page.locator(f"{form} button[type=submit]").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    # The mouse itself: page.click would wait for the navigation, and for the button to be enabled.
    page.mouse.click(x, y)
    for _ in range(WAIT_S * 20):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the first click sent nothing"
    page.mouse.click(x, y)  # the impatient second click
    page.wait_for_timeout(SECOND_CLICK_ROOM_MS)
    sent = len(held)
    for route in held:
        route.continue_()
    page.wait_for_url(lambda url: not url.endswith(path), timeout=WAIT_S * 1000)
    page.unroute(f"**{path}")
    return sent


@pytest.mark.browser
@pytest.mark.skipif(not chromium_available(), reason="needs Chromium at /usr/bin/chromium and Playwright")
def test_the_buttons_say_they_are_working_and_a_double_click_makes_one_routine(
    held_worker, live_server, owner, demo_song, tmp_path
):
    with pytest.MonkeyPatch.context() as patch:
        # Playwright's sync API keeps an asyncio loop running in this thread; the ORM calls here are plain.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        # A status request answers at once here (the page then asks again after a pause): one waiting
        # for news could still be reading the database when the thread starts writing, after the page
        # has gone, and the test database is one SQLite file in memory. test_a_real_embedded_server...
        # waits for news through a real server.
        patch.setattr(stages, "MAX_WAIT_S", 0)
        with chromium() as browser:
            context = browser.new_context(base_url=live_server.url, bypass_csp=True)
            page = context.new_page()
            page.goto(reverse("login"))
            page.fill("#id_username", owner.username)
            page.fill("#id_password", PASSWORD)
            page.click("form button[type=submit]")
            page.wait_for_url(lambda url: "/accounts/login/" not in url)

            page.goto(reverse("song_list"))
            page.evaluate(RECORD_BUTTON)
            page.set_input_files("#upload-form input[type=file]", str(short_song(tmp_path)))
            assert click_twice_while_sending(page, "#upload-form") == 1
            page.wait_for_url("**/songs/*/")
            assert page.evaluate("sessionStorage.getItem('busy-upload-form')") == '["Uploading…",true]'
            assert page.text_content("#song-stage") == "Waiting for its turn…"
            song = Song.objects.get(owner=owner)

            page.goto(reverse("describe"))
            page.evaluate(RECORD_BUTTON)
            page.fill("#id_text", TEXT)
            page.select_option("#id_song", str(song.pk))
            assert click_twice_while_sending(page, "#describe-form") == 1
            page.wait_for_url("**/routines/*/")
            assert page.evaluate("sessionStorage.getItem('busy-describe-form')") == '["Building…",true]'
            routine = Routine.objects.get(owner=owner)
            # The song is still waiting behind the held thread: the routine page says what it waits for.
            page.wait_for_function(
                "document.getElementById('progress-stage').textContent === 'Analysing your song first…'"
            )
            context.close()  # no page polls while the thread works (the test database is one connection)

    held_worker.set()
    worker.join()
    routine.refresh_from_db()
    assert routine.status == Routine.Status.READY, routine.error


# A process that stopped after committing a routine: its row and job are queued, and nothing runs them.
LEFT_BEHIND = """
from django.contrib.auth import get_user_model
from choreography.models import Job, Routine
from tests.generation_support import build_generation_assets, install_generation_assets
from django.conf import settings
song = install_generation_assets(build_generation_assets())
user = get_user_model().objects.create_user("left", password="left-behind-password")
routine = Routine.objects.create(owner=user, text="smooth routine with body waves", song=song, level="beginner")
Job.objects.create(func="choreography.jobs.routine_generate", queue="gpu", subject=routine,
                   kwargs={"routine_id": routine.pk})
print(routine.pk)
"""
READ_ROUTINE = """
import json
from choreography.models import Job, Routine
routine = Routine.objects.get(pk={pk})
job = Job.objects.for_subject(routine).get()
print(json.dumps([routine.status, routine.error, job.status, job.stage, job.error]))
"""


def read_routine(routine_id: int, env: dict) -> list:
    from bachata.loopback import manage

    return json.loads(manage(["shell", "-c", READ_ROUTINE.format(pk=routine_id)], env=env).strip().splitlines()[-1])


@pytest.mark.slow
def test_a_real_embedded_server_runs_the_jobs_left_from_before_and_answers_while_it_builds(tmp_path):
    """runserver on an SQLite file, as `make demo` runs it: requests and the job thread write at once."""
    import os

    from bachata.loopback import MANAGE, Dancer, Processes, free_port, manage, wait_until_live

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        BACHATA_VAR_DIR=str(tmp_path / "var"),
        MEDIA_ROOT=str(tmp_path / "media"),
        JOBS_IN_PROCESS="thread",
        WARM_UP_ON_START="1",
        DJANGO_SETTINGS_MODULE="bachata.settings",
    )
    manage(["migrate", "--noinput", "-v0"], env=env)
    left_id = int(manage(["shell", "-c", LEFT_BEHIND], env=env).split()[-1])
    assert read_routine(left_id, env)[0] == "queued"

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with Processes(env, tmp_path / "logs") as processes:
        server = processes.start("runserver", [*MANAGE, "runserver", "--noreload", f"127.0.0.1:{port}"])
        wait_until_live(base, timeout_s=WAIT_S, children=[server])
        dancer = Dancer(base)
        dancer.sign_up()
        [song_id] = dancer.demo_song_ids()
        routine_id = dancer.describe(TEXT, song_id)
        status_url = f"/routines/{routine_id}/status/"
        first = json.loads(dancer.request(status_url)[2])
        if first["status"] not in ("ready", "failed"):
            # As the page asks: "this is what I show; answer when there is news". The answer is news.
            query = urlencode({"wait": WAIT_S, "status": first["status"], "stage": first["stage"]})
            asked = time.monotonic()
            news = json.loads(dancer.request(f"{status_url}?{query}")[2])
            # News, or no answer before the poll's cap (a busy machine may still be on the job left from before).
            waited = time.monotonic() - asked
            assert (news["status"], news["stage"]) != (
                first["status"],
                first["stage"],
            ) or waited >= stages.MAX_WAIT_S - 1
        browsing = dancer.copy()
        stages_seen = {first["stage"]}
        answer = first
        for _ in range(WAIT_S * 10):
            for path in ("/", "/routines/", "/songs/", f"/routines/{routine_id}/"):
                browsing.request(path)
            status, _, body = dancer.request(status_url)
            assert status == 200
            answer = json.loads(body)
            stages_seen.add(answer["stage"])
            if answer["status"] in ("ready", "failed"):
                break
        assert answer["status"] == "ready", answer
        assert dancer.first_video_byte(routine_id) == 206
    # Every request was answered, none with a server error ("database is locked" would be a 500).
    assert all(timing.status < 500 for timing in dancer.timings), [t for t in dancer.timings if t.status >= 500]
    assert stages_seen <= {"waiting", "understanding", "matching", "planning", "assembling", ""}
    left = read_routine(left_id, env)
    assert left[:3] == ["ready", "", "ready"], left
    assert left[3] == "assembling"
