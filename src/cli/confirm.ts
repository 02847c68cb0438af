import { createInterface } from 'node:readline/promises';

/**
 * Asks on the terminal and resolves whether the answer is exactly `expected`. False at once
 * when stdin is not a terminal: a script must say --yes, never be answered by piped input.
 */
export async function confirmed(question: string, expected: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await prompt.question(question)).trim() === expected;
  } finally {
    prompt.close();
  }
}
