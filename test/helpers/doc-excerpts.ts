import { readFileSync } from 'node:fs';

/**
 * Code blocks in docs that are exact excerpts of files, so that the docs cannot drift from
 * code that a test runs. A block is marked by the comment line before it:
 *
 *   <!-- excerpt: examples/integrate/publish.py -->        the whole file
 *   <!-- excerpt: examples/integrate/publish.py#sign -->   the region `sign` of it
 *
 * A region is the lines between `<comment> region NAME` and `<comment> endregion` in the file
 * (`#`, `//` or `<!--`; `#region` as VS Code writes it is accepted too), without the blank lines
 * at its ends and dedented by their common indentation, so that a region inside a <script> reads
 * as top-level code.
 */
export interface Excerpt {
  /** Repository-relative path of the excerpted file. */
  readonly path: string;
  readonly region: string | undefined;
  /** The code block's text, without its fences. */
  readonly block: string;
}

const MARKED_BLOCK = /<!-- excerpt: ([^#\s]+)(?:#([\w-]+))? -->\n```[a-z]*\n([\s\S]*?)\n```/g;
const REGION_START = /^\s*(?:#|\/\/|<!--)\s*#?region\s+([\w-]+)/;
const REGION_END = /^\s*(?:#|\/\/|<!--)\s*#?endregion\b/;

/** Every marked block of a doc, in order. */
export function excerptsOf(docText: string): Excerpt[] {
  return [...docText.matchAll(MARKED_BLOCK)].map(([, path, region, block]) => ({ path: path!, region, block: block! }));
}

/** The text a marked block must equal: the file without its final newline, or the named region. */
export function expectedExcerpt(root: URL, excerpt: Pick<Excerpt, 'path' | 'region'>): string {
  const text = readFileSync(new URL(excerpt.path, root), 'utf8');
  if (excerpt.region === undefined) return text.replace(/\n$/, '');
  const lines = text.split('\n');
  const start = lines.findIndex((line) => REGION_START.exec(line)?.[1] === excerpt.region);
  if (start < 0) throw new Error(`${excerpt.path} has no region ${excerpt.region}`);
  const length = lines.slice(start + 1).findIndex((line) => REGION_END.test(line));
  if (length < 0) throw new Error(`${excerpt.path}: region ${excerpt.region} never ends`);
  const body = lines.slice(start + 1, start + 1 + length);
  while (body.length > 0 && body[0]!.trim() === '') body.shift();
  while (body.length > 0 && body.at(-1)!.trim() === '') body.pop();
  const indent = Math.min(...body.filter((line) => line.trim() !== '').map((line) => line.length - line.trimStart().length));
  return body.map((line) => line.slice(indent)).join('\n');
}
