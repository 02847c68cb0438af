import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runCli } from '../helpers/process.js';

/** The names under "Commands:" in a `--help` text (continuation lines are indented deeper). */
function commandNames(help: string): string[] {
  const section = help.split('\nCommands:\n')[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]!).filter((name) => name !== 'help');
}

/** Every command the program has, as `sealpush GROUP NAME`, from its own help. */
async function everyCommand(path: string[] = []): Promise<string[]> {
  const help = await runCli([...path, '--help']);
  assert.equal(help.code, 0, help.stderr);
  const names = commandNames(help.stdout);
  if (names.length === 0) return [['sealpush', ...path].join(' ')];
  return (await Promise.all(names.map((name) => everyCommand([...path, name])))).flat();
}

test("the README's Commands block lists every command of the program", async () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = /## Commands\n\n```\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'README.md has a Commands block');
  const listed = new Set(block.split('\n').map((line) => /^sealpush( [a-z][a-z-]*)+/.exec(line)?.[0]));
  const commands = await everyCommand();
  assert.ok(commands.length > 20, commands.join(', '));
  const missing = commands.filter((command) => ![...listed].some((line) => line !== undefined && (line === command || line.startsWith(`${command} `))));
  assert.deepEqual(missing, [], 'add a line for each to the Commands block of README.md');
});
