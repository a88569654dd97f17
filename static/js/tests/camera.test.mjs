import assert from "node:assert/strict";
import { test } from "node:test";

import {
  CAMERA_MESSAGES, cameraConstraints, cameraFailureKind, cameraMessage, cameraUnavailableReason, stopStream,
} from "../player/camera.js";

const withGetUserMedia = { getUserMedia: async () => ({}) };

test("the camera is tried only on a secure page of a browser with getUserMedia", () => {
  assert.equal(cameraUnavailableReason({ isSecureContext: true, mediaDevices: withGetUserMedia }), null);
  assert.equal(cameraUnavailableReason({ isSecureContext: false, mediaDevices: withGetUserMedia }), "insecure");
  // Browsers hide navigator.mediaDevices on an insecure page: that is still "use https", not "old browser".
  assert.equal(cameraUnavailableReason({ isSecureContext: false, mediaDevices: undefined }), "insecure");
  assert.equal(cameraUnavailableReason({ isSecureContext: true, mediaDevices: undefined }), "unsupported");
  assert.equal(cameraUnavailableReason({ isSecureContext: true, mediaDevices: {} }), "unsupported");
});

test("each getUserMedia failure maps to what the dancer can do about it", () => {
  const kind = (name) => cameraFailureKind({ name, message: "" });
  assert.equal(kind("NotFoundError"), "notFound");
  assert.equal(kind("OverconstrainedError"), "notFound");
  assert.equal(kind("NotAllowedError"), "refused");
  assert.equal(kind("SecurityError"), "refused");
  assert.equal(kind("NotReadableError"), "busy");
  assert.equal(kind("AbortError"), "busy");
  assert.equal(kind("TypeError"), "other");
  assert.equal(cameraFailureKind(null), "other");
  assert.equal(cameraFailureKind("insecure"), "insecure");
  assert.equal(cameraFailureKind("toString"), "other", "no inherited names");
});

test("the messages say what happened in the dancer's words, and that the video still works", () => {
  assert.match(cameraMessage({ name: "NotFoundError" }), /can't find a camera/);
  assert.match(cameraMessage({ name: "NotAllowedError" }), /Allow the camera for this site/);
  assert.match(cameraMessage({ name: "NotReadableError" }), /busy/);
  assert.match(cameraMessage("insecure"), /https/);
  assert.match(cameraMessage("insecure"), /localhost/);
  assert.match(cameraMessage("unsupported"), /This browser can't show your camera/);
  for (const [kind, text] of Object.entries(CAMERA_MESSAGES)) {
    assert.ok(text.length < 260, `${kind} is short`);
    assert.doesNotMatch(text, /Error|getUserMedia|DOMException/, `${kind} has no programmer's words`);
  }
  assert.notEqual(cameraMessage({ name: "NotFoundError" }), cameraMessage({ name: "NotAllowedError" }));
});

test("the request is picture only, from the camera facing the dancer", () => {
  const constraints = cameraConstraints();
  assert.equal(constraints.audio, false);
  assert.equal(constraints.video.facingMode, "user");
});

test("stopping a stream stops every track", () => {
  const tracks = [{ readyState: "live" }, { readyState: "live" }].map((track) => ({
    ...track, stop() { this.readyState = "ended"; },
  }));
  assert.equal(stopStream({ getTracks: () => tracks }), 2);
  assert.deepEqual(tracks.map((track) => track.readyState), ["ended", "ended"]);
  assert.equal(stopStream(null), 0);
});
