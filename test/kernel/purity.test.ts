// The simulated kernel runs in a browser, deterministically: no Node, no DOM, no wall clock,
// no Math.random. Biome's rules catch most of it; this catches the rest (Math.random is a
// member of a global it cannot ban alone).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOTS = ['src/kernel', 'src/abi', 'src/api', 'src/observe'];
const FORBIDDEN = [
  /\bMath\.random\b/,
  /\bDate\.now\b/,
  /\bnew Date\b/,
  /\bperformance\.now\b/,
  /\bsetTimeout\b/,
  /\bsetImmediate\b/,
  /(?<![\w.])process\.(env|argv|exit|hrtime|stdout|stderr|nextTick|cwd)\b/,
  /from ['"](node:|fs['"]|path['"]|os['"]|child_process|worker_threads|koffi)/,
  /from ['"][./]*(linux|cli|script)\//,
];

function* sources(dir: string): Generator<string> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* sources(path);
    else if (e.name.endsWith('.ts')) yield path;
  }
}

test('the_kernel_depends_on_no_node_api_no_wall_clock_and_no_randomness', () => {
  const hits: string[] = [];
  for (const root of ROOTS)
    for (const file of sources(root)) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (line.trimStart().startsWith('//')) return;
        for (const re of FORBIDDEN) if (re.test(line)) hits.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
  assert.deepEqual(hits, []);
});
