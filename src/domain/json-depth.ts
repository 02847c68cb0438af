/**
 * The nesting guard for JSON that comes from outside (REST bodies, handshake payloads, the
 * data the SDKs receive): how deep its arrays and objects nest, found on the raw text before
 * `JSON.parse`, so that nothing recursive (JSON.stringify, schema validation, the
 * application's own code) ever meets a value deeper than the limit. A 10,000-level value
 * otherwise runs the stack out in whatever walks it first.
 */

/**
 * Default `maxJsonDepth`: the deepest nesting of arrays and objects accepted in one JSON
 * document. Real payloads nest a few levels, rarely a few dozen; 64 (the default of .NET's
 * System.Text.Json too) leaves room for that and for a request's envelope, and keeps every
 * recursive walk of the value, ours and the application's, in a browser's stack as in
 * Node's, a small fraction of the stack away from overflowing.
 */
export const DEFAULT_MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether `json` nests arrays and objects more than `maxDepth` levels deep (`[]` and `{}` are
 * one level, a bare scalar none). Counts `[` and `{` outside strings in one iterative pass
 * (constant stack, any length) and stops at the first level past the limit. It reads JSON
 * text or its UTF-8 bytes alike: every structural character is ASCII, and no byte of a
 * multi-byte UTF-8 character is below 0x80. It validates nothing else: malformed JSON is left
 * to JSON.parse, which refuses it.
 */
export function nestsDeeperThan(json: string | Uint8Array, maxDepth: number): boolean {
  const text = typeof json === 'string' ? json : undefined;
  const bytes = text === undefined ? (json as Uint8Array) : undefined;
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = bytes !== undefined ? bytes[i]! : text!.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(json, i + 1);
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth) return true;
    } else if ((c === CLOSE_ARRAY || c === CLOSE_OBJECT) && depth > 0) {
      depth--;
    }
  }
  return false;
}

/**
 * Where the string that starts at `from` ends: its closing quote (one not escaped, that is
 * after an even run of backslashes), or the end of `json`. The search itself is native
 * (indexOf), so the bulk of a body, its strings, costs next to nothing.
 */
function closingQuote(json: string | Uint8Array, from: number): number {
  const at = typeof json === 'string' ? (i: number) => json.charCodeAt(i) : (i: number) => json[i]!;
  for (let i = from; ; ) {
    const quote = typeof json === 'string' ? json.indexOf('"', i) : json.indexOf(QUOTE, i);
    if (quote < 0) return json.length;
    let backslashes = 0;
    while (quote - backslashes - 1 >= from && at(quote - backslashes - 1) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
    i = quote + 1;
  }
}

/** JSON.parse of text that may nest at most `maxDepth` levels; deeper throws a SyntaxError naming the limit. */
export function parseJsonWithin(text: string, maxDepth: number): unknown {
  if (nestsDeeperThan(text, maxDepth)) throw new SyntaxError(`JSON nested deeper than ${maxDepth} levels`);
  return JSON.parse(text) as unknown;
}
