// Preloaded into a `sealpush` process (NODE_OPTIONS=--import, see clockAhead and clockFollowing
// in process.ts) so that it runs as if SEALPUSH_TEST_CLOCK_AHEAD_MS had passed: a test's "an
// hour later" without waiting an hour. With SEALPUSH_TEST_CLOCK_FILE, the offset (ms, may be
// negative) is read from that file every 20 ms (by each thread: the store's worker too), so that
// a test can step the running process's clock forward and back as an NTP step would; once the
// main thread applies a value it writes it to `<file>.<pid>`, so that the test knows the step
// has happened. Both files are written whole (a rename), so that no read sees one half-written. Only Date.now moves (what
// sealpush's clock reads); timers and performance.now keep real, monotonic time, as they do under
// a real step. Test code only; sealpush itself has no such switch.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

let ahead = Number(process.env.SEALPUSH_TEST_CLOCK_AHEAD_MS ?? 0);
const realNow = Date.now.bind(Date);
Date.now = () => realNow() + ahead;

const file = process.env.SEALPUSH_TEST_CLOCK_FILE;
if (file !== undefined) {
  let applied;
  const follow = () => {
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return; // not written yet
    }
    const next = Number(text);
    if (text.trim() === '' || !Number.isFinite(next) || next === applied) return;
    ahead = next;
    applied = next;
    if (!isMainThread) return;
    writeFileSync(`${file}.${process.pid}.tmp`, String(next));
    renameSync(`${file}.${process.pid}.tmp`, `${file}.${process.pid}`);
  };
  follow();
  setInterval(follow, 20).unref();
}
