import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { assertAccessibleBasics } from '../helpers/a11y.js';
import { chromiumMissing, launchChromium } from '../helpers/requirements.js';

const skip = chromiumMissing();

/** The check the page tests rely on finds what it claims to find (test/helpers/a11y.ts). */
describe('the accessibility check itself', { skip }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(() => browser?.close());

  const problemsOf = async (html: string): Promise<string> => {
    const page = await browser.newPage();
    await page.setContent(html);
    try {
      await assertAccessibleBasics(page, 'fixture');
      return '';
    } catch (err) {
      return String((err as Error).message);
    } finally {
      await page.close();
    }
  };

  test('passes a page with a language, a title, one h1 and named controls', async () => {
    assert.equal(await problemsOf('<html lang="en"><title>t</title><h1>A</h1><h2>B</h2><label>Name <input></label><button>Go</button><svg role="img" aria-label="chart"></svg></html>'), '');
  });

  test('names each problem: no lang, two h1, a skipped level, an unlabelled input, an empty button, an unnamed chart', async () => {
    const found = await problemsOf('<html><title>t</title><h1>A</h1><h1>B</h1><h4>C</h4><input id="q"><button id="b"></button><svg role="img" id="c" width="10" height="10"></svg></html>');
    for (const expected of ['<html> has no lang', 'expected one h1, found 2', 'skips from h1 to h4', '<input id="q"> has no accessible name', '<button id="b"> has no accessible name', '<svg id="c"> has no accessible name']) {
      assert.ok(found.includes(expected), `${expected} in ${found}`);
    }
  });
});
