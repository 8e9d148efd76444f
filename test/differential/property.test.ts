// The fuzz session's machinery (src/fuzz/property.ts) without Linux: the simulated kernel with a
// planted bug stands for "sim", the real simulated kernel for "linux". A difference must be found,
// shrunk to a short script, and saved with the reference side's expects and the seed in `source`.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Backend, ProcessHandle } from '../../src/api/backend.ts';
import type { Syscalls } from '../../src/api/syscalls.ts';
import { detectFeatures } from '../../src/fuzz/features.ts';
import { checkScript, fuzz } from '../../src/fuzz/property.ts';
import { simBackend } from '../../src/kernel/index.ts';
import { parseScriptText, runScript } from '../../src/script/index.ts';

const POLLOUT = 0x4;

/** The simulated kernel, except that poll never reports POLLOUT. */
const buggy: Backend = {
  name: 'sim',
  async createProcess(): Promise<ProcessHandle> {
    const p = await simBackend.createProcess();
    return {
      tid: (name) => p.tid(name),
      caught: (sig) => p.caught(sig),
      wait: (call) => p.wait(call),
      settle: () => p.settle(),
      close: () => p.close(),
      thread(name: string): Syscalls {
        const s = p.thread(name);
        return new Proxy(s, {
          get(target, key) {
            const v = Reflect.get(target, key) as unknown;
            if (typeof v !== 'function') return v;
            if (key !== 'poll') return v.bind(target);
            return async (...args: Parameters<Syscalls['poll']>) => {
              const r = await target.poll(...args);
              return 'revents' in r ? { ...r, revents: r.revents.map((m) => m & ~POLLOUT) } : r;
            };
          },
        });
      },
    };
  },
};

test('identical_backends_agree_on_every_script', async () => {
  const summary = await fuzz({
    seed: 3,
    runs: 40,
    // What the simulated kernel runs: a script that stops at Unsupported is not "agreed".
    features: (await detectFeatures(simBackend)).supported,
    sim: simBackend,
    linux: simBackend,
    saveDir: null,
  });
  assert.equal(summary.counts.agreed, 40);
  assert.equal(summary.found.length, 0);
});

test('a_planted_difference_is_found_shrunk_and_saved_with_the_reference_expects', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'iomux-fuzz-'));
  try {
    const summary = await fuzz({
      seed: 5,
      runs: 60,
      features: new Set(['pipe', 'eventfd', 'poll'] as const),
      sim: buggy,
      linux: simBackend,
      saveDir: dir,
      shrinkBudgetMs: 20_000,
      maxShrink: 1,
    });
    assert.ok(summary.counts.difference > 0, 'the planted bug is found');
    const [found] = summary.found;
    assert.match(found.signature, /revents/);
    assert.ok(found.steps.shrunk <= 4, `shrunk to ${found.steps.shrunk} steps`);
    assert.deepEqual(readdirSync(dir), ['fuzz-5-1.json']);
    const saved = readFileSync(join(dir, 'fuzz-5-1.json'), 'utf8');
    const doc = JSON.parse(saved);
    assert.match(doc.source, /--seed 5/);
    // The saved case passes on the reference side and fails on the buggy one.
    const script = parseScriptText(saved);
    assert.equal(
      (await runScript(script, simBackend)).outcomes.every((o) => o.ok !== false),
      true,
    );
    assert.equal(
      (await runScript(script, buggy)).outcomes.some((o) => o.ok === false),
      true,
    );
    assert.equal((await checkScript(doc, buggy, simBackend)).kind, 'difference');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
