import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nestsDeeperThan, parseJsonWithin } from '../../src/domain/json-depth.js';
import { deepArrays, deepMixed, deepObjects } from '../helpers/json-bodies.js';
import { prng } from '../helpers/prng.js';

/** The nesting of a parsed value, the slow and obvious way. */
function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

const TRICKY = ['[', ']', '{', '}', '"', '\\', '\\"', '€', '𝄞', 'a', ':', ',', '\u0000', '\n'];

function randomValue(random: () => number, budget: number): unknown {
  const pick = random();
  if (budget <= 0 || pick < 0.3) {
    let s = '';
    for (let i = Math.floor(random() * 6); i > 0; i--) s += TRICKY[Math.floor(random() * TRICKY.length)];
    return pick < 0.1 ? Math.floor(random() * 1000) : s;
  }
  const n = 1 + Math.floor(random() * 3);
  const items = Array.from({ length: n }, () => randomValue(random, budget - 1));
  return pick < 0.65 ? items : Object.fromEntries(items.map((v, i) => [`${TRICKY[i % TRICKY.length]}k${i}`, v]));
}

test('nestsDeeperThan agrees with the parsed depth, on text and on its UTF-8 bytes, for random JSON with brackets in strings', () => {
  const random = prng(13);
  for (let round = 0; round < 500; round++) {
    const text = JSON.stringify(randomValue(random, 1 + Math.floor(random() * 12)));
    const depth = depthOf(JSON.parse(text));
    for (const input of [text, new TextEncoder().encode(text)]) {
      assert.equal(nestsDeeperThan(input, depth), false, `depth ${depth} within ${depth}: ${text}`);
      if (depth > 0) assert.equal(nestsDeeperThan(input, depth - 1), true, `depth ${depth} past ${depth - 1}: ${text}`);
    }
  }
});

test('deep arrays, objects and mixes: exactly the limit passes, one more does not; 10,000 levels are found at once', () => {
  for (const make of [deepArrays, deepObjects, deepMixed]) {
    assert.equal(nestsDeeperThan(make(64), 64), false);
    assert.equal(nestsDeeperThan(make(65), 64), true);
    assert.equal(nestsDeeperThan(make(10_000), 64), true);
    assert.equal(depthOf(parseJsonWithin(make(64), 64)), 64);
    assert.throws(() => parseJsonWithin(make(10_000), 64), (err: Error) => err instanceof SyntaxError && /deeper than 64/.test(err.message));
  }
  assert.equal(nestsDeeperThan('1', 0), false);
  assert.equal(nestsDeeperThan('[]', 0), true);
});

test('brackets inside strings never count, escaped quotes do not end a string, and a lone closer is not a level below zero', () => {
  assert.equal(nestsDeeperThan(JSON.stringify('['.repeat(10_000)), 0), false);
  assert.equal(nestsDeeperThan(JSON.stringify(`\\"${'{'.repeat(100)}\\`), 0), false);
  assert.equal(nestsDeeperThan(`["\\\\", [[1]]]`, 2), true, 'an escaped backslash ends before the quote');
  assert.equal(nestsDeeperThan(`]]]]}}[[`, 1), true, 'closers before any opener do not buy depth');
  // Malformed text is JSON.parse's to refuse; the scan neither throws nor loops on it.
  for (const garbage of ['"unterminated [[[[', '\\', '[[["\\', '{{{"a":', '"\\']) {
    assert.doesNotThrow(() => nestsDeeperThan(garbage, 2));
  }
});
