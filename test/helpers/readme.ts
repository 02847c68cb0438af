import { readFileSync } from 'node:fs';

/** The repository's root, as a path ending in a slash. */
export const REPO_ROOT = new URL('../../', import.meta.url);

/** A file of the repository (`path` relative to its root), as text. */
export function repoFile(path: string): string {
  return readFileSync(new URL(path, REPO_ROOT), 'utf8');
}

/** The part of `markdown` under the heading `## title`, up to the next heading of that level. */
export function markdownSection(markdown: string, title: string): string {
  const start = markdown.indexOf(`\n## ${title}\n`);
  if (start === -1) throw new Error(`no section "## ${title}"`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end === -1 ? undefined : end);
}

/** The fenced code blocks of `markdown` tagged `lang` (` ```js `), each without its fences. */
export function fencedBlocks(markdown: string, lang: string): string[] {
  const blocks: string[] = [];
  const fence = new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'gm');
  for (const match of markdown.matchAll(fence)) blocks.push(match[1]!);
  return blocks;
}

/** The commands of a section's ```sh blocks: one per line or `&&` part, comments dropped. */
export function shellCommands(markdown: string): string[] {
  return fencedBlocks(markdown, 'sh')
    .flatMap((block) => block.split('\n'))
    .flatMap((line) => line.replace(/(^|\s)#.*$/, '').split('&&'))
    .map((command) => command.trim())
    .filter((command) => command.length > 0);
}
