// Practice a visitor did on the demo routine is kept on their device (the player's pending list); once they
// have an account and are logged in, every page sends it to their own history here. A batch sent twice is
// counted once (the server knows each batch by its client id and number), so a second tab does no harm.
import { batchId, parsePending, postBatch } from "./player/practice-log.js";
import { browserStorage } from "./player/storage.js";

const script = document.querySelector("script[data-demo-practice-url]");
if (script) {
  const storage = browserStorage();
  const key = script.dataset.pendingKey;
  const pending = parsePending(storage.get(key));
  Promise.all(pending.map((batch) => postBatch(script.dataset.demoPracticeUrl, batch).then((outcome) => {
    if (outcome === "retry") return;
    // Read again before writing: the player in another tab may have changed the list meanwhile.
    const left = parsePending(storage.get(key)).filter((item) => batchId(item) !== batchId(batch));
    storage.set(key, JSON.stringify(left));
  })));
}
