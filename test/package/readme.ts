// The README's library example: the code block that names examples/library/pipe-epoll.mts, and
// the output block after "It prints:".

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const repo = new URL('../../', import.meta.url).pathname;
export const EXAMPLE = 'examples/library/pipe-epoll.mts';

/** The README's fenced blocks, each with its language and the paragraph before it. */
function readmeBlocks(): { lang: string; text: string; before: string }[] {
  const blocks: { lang: string; text: string; before: string }[] = [];
  let paragraph: string[] = [];
  let block: { lang: string; lines: string[]; before: string } | undefined;
  for (const line of readFileSync(join(repo, 'README.md'), 'utf8').split('\n')) {
    if (block) {
      if (line === '```') {
        blocks.push({
          lang: block.lang,
          text: block.lines.map((l) => `${l}\n`).join(''),
          before: block.before,
        });
        block = undefined;
      } else block.lines.push(line);
    } else if (line.startsWith('```')) {
      block = { lang: line.slice(3), lines: [], before: paragraph.join('\n').trim() };
      paragraph = [];
    } else if (line === '') {
      if (paragraph.length > 0) paragraph = [...paragraph, ''];
    } else {
      if (paragraph.at(-1) === '') paragraph = [];
      paragraph.push(line);
    }
  }
  return blocks;
}

/** The example as the README prints it, and the output the README says it prints. */
export function readmeExample(): { code: string; output: string } {
  const blocks = readmeBlocks();
  const at = blocks.findIndex((b) => b.lang === 'ts' && b.before.includes(EXAMPLE));
  assert.ok(at >= 0, `the README prints ${EXAMPLE} in a ts block after a line naming it`);
  const output = blocks.slice(at + 1).find((b) => b.before.endsWith('It prints:'));
  assert.ok(output, 'the README says what the example prints');
  return { code: blocks[at].text, output: output.text };
}
