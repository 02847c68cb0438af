import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';

/**
 * Runs in the page. A string, not a function: tsx would wrap the function's inner names in a
 * helper the page does not have.
 */
const CHECK = `(() => {
    const found = [];
    const visible = (el) => {
      const box = el.getBoundingClientRect();
      return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden';
    };
    const describe = (el) => \`<\${el.tagName.toLowerCase()}\${el.id ? \` id="\${el.id}"\` : ''}>\`;
    const labelledBy = (el) =>
      (el.getAttribute('aria-labelledby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' ').trim();
    const nameOf = (el) =>
      (el.getAttribute('aria-label') ?? '').trim() || labelledBy(el) ||
      [...(el.labels ?? [])].map((l) => l.textContent ?? '').join(' ').trim() ||
      (el.tagName === 'INPUT' ? '' : (el.textContent ?? '').trim()) || (el.getAttribute('title') ?? '').trim();

    if (!document.documentElement.lang) found.push('<html> has no lang');
    if (!document.title.trim()) found.push('the page has no <title>');
    const headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')];
    if (headings.filter((h) => h.tagName === 'H1').length !== 1) found.push(\`expected one h1, found \${headings.filter((h) => h.tagName === 'H1').length}\`);
    let level = 0;
    for (const h of headings) {
      const next = Number(h.tagName[1]);
      if (next > level + 1) found.push(\`heading "\${h.textContent?.trim()}" skips from h\${level} to h\${next}\`);
      level = next;
    }
    for (const el of document.querySelectorAll('input, select, textarea, button, a[href]')) {
      if (el.type === 'hidden' || !visible(el)) continue;
      if (nameOf(el) === '') found.push(\`\${describe(el)} has no accessible name\`);
    }
    for (const el of document.querySelectorAll('img, svg[role="img"]')) {
      const alt = el.tagName === 'IMG' ? el.getAttribute('alt') : null;
      if (alt === null && nameOf(el) === '') found.push(\`\${describe(el)} has no accessible name\`);
    }
    return found;
})()`;

/**
 * The accessibility basics a page must keep, checked on the live DOM as Chromium built it: a
 * language, one h1 and no skipped heading level, every visible form control and button named
 * (by a label, aria-label or its text), every link named, every image or SVG chart named.
 * Not a full audit (no contrast, no focus order): what a screen reader needs first.
 */
export async function assertAccessibleBasics(page: Page, what: string): Promise<void> {
  const problems = (await page.evaluate(CHECK)) as string[];
  assert.deepEqual(problems, [], `${what}: accessibility basics`);
}
