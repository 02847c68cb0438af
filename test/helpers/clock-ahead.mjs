// Preloaded into a `sealpush` process (NODE_OPTIONS=--import, see clockAhead and clockFollowing
// in process.ts) so that it runs as if SEALPUSH_TEST_CLOCK_AHEAD_MS had passed: a test's "an
// hour later" without waiting an hour. With SEALPUSH_TEST_CLOCK_FILE, the offset (ms, may be
// negative) is read from that file every 20 ms, so that a test can step the running process's
// clock forward and back as an NTP step would; once it applies a value it writes it to
// `<file>.<pid>`, so that the test knows the step has happened. Only Date.now moves (what
// sealpush's clock reads); timers and performance.now keep real, monotonic time, as they do under
// a real step. Test code only; sealpush itself has no such switch.
import { readFileSync, writeFileSync } from 'node:fs';

let ahead = Number(process.env.SEALPUSH_TEST_CLOCK_AHEAD_MS ?? 0);
const realNow = Date.now.bind(Date);
Date.now = () => realNow() + ahead;

const file = process.env.SEALPUSH_TEST_CLOCK_FILE;
if (file !== undefined) {
  let applied;
  const follow = () => {
    let next;
    try {
      next = Number(readFileSync(file, 'utf8'));
    } catch {
      return; // not written yet
    }
    if (!Number.isFinite(next) || next === applied) return;
    ahead = next;
    applied = next;
    writeFileSync(`${file}.${process.pid}`, String(next));
  };
  follow();
  setInterval(follow, 20).unref();
}
