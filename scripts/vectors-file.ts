// The command line both vector generators share: write the JSON file, or with --check only
// compare it with what the code computes now (exit 1 when they differ).
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

export async function writeVectorsFile(command: string, output: string, build: () => Promise<unknown>, args: string[]): Promise<number> {
  if (args.includes('--help')) {
    console.log(`Usage: ${command} [--check]\n  Writes src/crypto/vectors/${basename(output)}; --check only compares.`);
    return 0;
  }
  const text = `${JSON.stringify(await build(), null, 1)}\n`;
  if (args.includes('--check')) {
    const same = readFileSync(output, 'utf8') === text;
    console.log(same ? 'vectors are up to date' : 'vectors differ from the code');
    return same ? 0 : 1;
  }
  writeFileSync(output, text);
  console.log(`wrote ${output}`);
  return 0;
}
