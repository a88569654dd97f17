/* Bachata Buddy practice player: the entry point (templates/choreography/routine_detail.html loads
 * it as a module).
 *
 * One `player` object is shared by the modules, one concern each: speed (speed.js), loops
 * (loops.js, loop-math.js), count-in (count-in.js), the count overlay (counts.js), mirror and the
 * mirrored twin (mirror.js, twins.js), playback and the per-frame loop (playback.js), the practice
 * log (practice-log.js), keyboard shortcuts (keys.js), spoken counts (voice.js), saved loops
 * (saved-loops.js), the dancer's own camera beside the video (camera.js), timing feedback from pose
 * (pose-feedback.js, pose-timing.js; the model in pose-engine.js and steps.js), and full screen, sound and a
 * click on the picture in place of the native video controls (screen.js). Each install
 * adds its functions to `player`; they call one another through it at call time, so the order of the
 * installs does not matter, only the order of the wiring at the end. `player.video` is always the
 * video shown. The pure helpers (timeline.js and the pure parts of the others) have unit tests in
 * static/js/tests/.
 */
import { installCamera } from "./camera.js";
import { installCountIn } from "./count-in.js";
import { installCounts } from "./counts.js";
import { installKeys } from "./keys.js";
import { emptyLoop } from "./loop-math.js";
import { installLoops } from "./loops.js";
import { installMirror } from "./mirror.js";
import { installPlayback } from "./playback.js";
import { installPoseFeedback } from "./pose-feedback.js";
import { installPracticeLog } from "./practice-log.js";
import { installSavedLoops } from "./saved-loops.js";
import { installScreen } from "./screen.js";
import { installSpeed } from "./speed.js";
import { browserStorage } from "./storage.js";
import { installVoice } from "./voice.js";

function readTimeline(data) {
  const firstDownbeat = Number.isFinite(Number(data.firstDownbeatS)) && data.firstDownbeatS !== null
    ? Number(data.firstDownbeatS) : null;
  return {
    beats: (data.beats || []).map(Number),
    downbeats: (data.downbeats || []).map(Number),
    firstDownbeat,
    tempoBpm: Number(data.tempoBpm) || null,
  };
}

// The list items carry the timings too; the JSON is the source, the items are the view.
function readMoves(data) {
  const items = new Map(
    Array.from(document.querySelectorAll("#moves li.move")).map((item) => [String(item.dataset.order), item]),
  );
  return (data.moves || []).map((move) => ({
    ...move, start: Number(move.start), end: Number(move.end), item: items.get(String(move.order)) || null,
  }));
}

function start() {
  const dataElement = document.getElementById("player-data");
  const shown = document.getElementById("video");
  if (!dataElement || !shown) return; // a routine that is not ready has no player
  const data = JSON.parse(dataElement.textContent);
  // With a mirrored twin, the other video waits under the one shown (#video-standby).
  const standby = document.getElementById("video-standby");
  const videos = standby ? [shown, standby] : [shown];
  const $ = (id) => document.getElementById(id);

  const player = {
    data,
    storage: browserStorage(),
    video: shown,
    videos,
    seenVideo: videos.find((element) => element.dataset.twin !== "mirrored") || shown,
    mirroredVideo: videos.find((element) => element.dataset.twin === "mirrored") || null,
    timeline: readTimeline(data),
    moves: readMoves(data),
    ui: {
      play: $("play"), slower: $("slower"), faster: $("faster"), speed: $("speed"),
      setA: $("set-a"), setB: $("set-b"), loop: $("loop"), mirror: $("mirror"), counts: $("counts"),
      countIn: $("count-in"), countInStart: $("count-in-start"), loopInfo: $("loop-info"), overlay: $("count-overlay"),
      moves: $("moves"), loopSelected: $("loop-selected"), seek: $("seek"), time: $("time"),
      download: $("download"), voice: $("voice"), voiceVolume: $("voice-volume"), voiceOnlyOne: $("voice-only-one"),
      voiceInfo: $("voice-info"), fullscreen: $("fullscreen"), sound: $("sound"),
    },
    state: { speed: 1, loop: emptyLoop(), mirror: false, counts: false, count: null, currentMove: null, countingIn: false },
    // Set when a count-in hands over to playback, so the "play" it causes is not counted in again.
    countInDone: false,
    // Listen on both twins, but hear only the one shown: the standby's seeks and plays are the switch's own.
    onVideo(type, handler) {
      for (const element of videos) {
        element.addEventListener(type, (event) => {
          if (element === player.video) handler(event);
        });
      }
    },
  };

  installPracticeLog(player);
  installSpeed(player);
  installPlayback(player);
  installLoops(player);
  installCountIn(player);
  installCounts(player);
  installMirror(player);
  installVoice(player);
  installCamera(player);
  installPoseFeedback(player);
  installScreen(player);

  player.restoreSpeed();
  installKeys(player);
  player.wirePlayback();
  player.wirePracticeLog();
  player.renderLoop();
  player.refresh(player.video.currentTime || 0);

  // A small surface for tests, the console and the saved loops.
  window.bachataPlayer = {
    setSpeed: player.setSpeed,
    // options: label (shown as "Looping <label>"); a loop that is on starts at its A.
    setLoop: (a, b, options) => player.setLoop(a, b, { label: options && options.label }),
    play: player.playVideo,
    // handoff(): at the end of a repetition, the next loop {a, b, label} to play instead, or null to repeat.
    setLoopHandoff: (handoff) => {
      player.loopHandoff = handoff || null;
    },
    flush: player.flush,
    voiceClock: () => (player.voiceClock ? player.voiceClock() : null),
    get state() {
      const { state, twins, video } = player;
      return {
        speed: state.speed,
        loop: { a: state.loop.a, b: state.loop.b, on: state.loop.on, slugs: state.loop.slugs.slice(),
          repetitions: state.loop.repetitions },
        mirror: state.mirror,
        // Which video is shown ("seen" or "mirrored"), whether a switch is under way, and the last one's times.
        showing: video.dataset.twin || "seen",
        switching: Boolean(twins && twins.switching),
        lastSwitch: twins && twins.last ? { ...twins.last } : null,
        counts: state.counts,
        count: state.count,
        currentMove: state.currentMove ? state.currentMove.slug : null,
        countingIn: state.countingIn,
        // Spoken counts: on, the 1s alone, volume, and the last words handed to the audio clock.
        voice: state.voice ? { ...state.voice, scheduled: state.voice.scheduled.slice() } : null,
        // The dancer's camera: on (wanted) and live (a stream is showing).
        camera: player.camera ? { on: player.camera.on, live: Boolean(player.camera.stream) } : null,
        // Timing feedback: what it is doing, the live frame rate, the last reading (numbers) and whether it was kept.
        timing: player.poseFeedback ? {
          mode: player.poseFeedback.mode,
          fps: player.poseFeedback.fps,
          msPerFrame: player.poseFeedback.msPerFrame || null,
          takeOrigin: player.poseFeedback.takeOrigin || null,
          source: player.poseFeedback.source,
          saved: Boolean(player.poseFeedback.saved),
          report: player.poseFeedback.report ? { ...player.poseFeedback.report } : null,
        } : null,
        clientId: player.practiceClientId,
        pending: player.pendingCount(),
      };
    },
  };
  installSavedLoops(window.bachataPlayer, data);
}

start();
