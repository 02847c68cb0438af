// Preloaded into a `sealpush` process (NODE_OPTIONS=--import, see clockAhead in process.ts) so
// that it runs as if SEALPUSH_TEST_CLOCK_AHEAD_MS had passed: a test's "an hour later" without
// waiting an hour. Test code only; sealpush itself has no such switch.
const ahead = Number(process.env.SEALPUSH_TEST_CLOCK_AHEAD_MS ?? 0);
const realNow = Date.now.bind(Date);
Date.now = () => realNow() + ahead;
