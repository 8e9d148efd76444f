// Abstract names and the hidden prefix (issue 9 §6): a name that fits sun_path only without the
// run's 19-character prefix is Unsupported on both backends, with the same words; 88 bytes bind,
// 108 are Linux's EINVAL.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Backend } from '../../src/api/backend.ts';
import { simBackend } from '../../src/kernel/index.ts';
import { linuxBackend } from '../../src/linux/index.ts';
import { parseScript } from '../../src/script/parse.ts';
import { runScript } from '../../src/script/run.ts';

async function bindName(backend: Backend, length: number): Promise<string> {
  const script = parseScript({
    steps: [
      { call: 'socket', args: ['AF_UNIX', 'SOCK_STREAM', 0], bind: 's' },
      { call: 'bind', args: ['$s', `@${'n'.repeat(length)}`] },
    ],
  });
  const report = await runScript(script, backend);
  if (report.failure) return `${report.failure.kind}: ${report.failure.message}`;
  const r = report.outcomes[1].result as { ret?: number; errno?: string };
  return r.errno ?? `ret ${r.ret}`;
}

test('abstract_names_of_89_to_107_bytes_are_unsupported_on_both_backends', async () => {
  for (const [length, want] of [
    [88, 'ret 0'],
    [
      89,
      'unsupported: bind: unsupported: abstract name of 89 bytes: too long once made private to the run (at most 88)',
    ],
    [
      107,
      'unsupported: bind: unsupported: abstract name of 107 bytes: too long once made private to the run (at most 88)',
    ],
    [108, 'EINVAL'],
  ] as const) {
    assert.equal(await bindName(simBackend, length), want, `sim, ${length} bytes`);
    assert.equal(await bindName(linuxBackend, length), want, `linux, ${length} bytes`);
  }
});
