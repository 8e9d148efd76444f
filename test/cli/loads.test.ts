// The CLI loads what a command uses and nothing else (src/cli/cli.ts): help and version load the
// command table alone; `run` on the simulated kernel loads neither the Linux backend (koffi), nor
// the bench, nor the playground's server. Checked on the sources (through tsx) here, on the
// installed bundle in test/package/pack.test.ts.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { repo } from './helpers.ts';
import { type Loads, loadsOf } from './loads.ts';

const main = join(repo, 'src/cli/main.ts');

/** The project's own modules a command loaded, as paths from the repository's root. */
function own(loads: Loads): string[] {
  const root = new URL(`file://${repo}`).href;
  return loads.modules
    .filter((u) => u.startsWith(root) && !u.includes('/node_modules/'))
    .map((u) => u.slice(root.length));
}

function iomux(...args: string[]): Loads {
  const loads = loadsOf(['--import', 'tsx'], main, args, repo);
  assert.ok(loads.modules.length > 0, 'the hook recorded the modules');
  return loads;
}

describe('what each command loads', { timeout: 60_000 }, () => {
  for (const args of [['--help'], ['help', 'run'], ['run', '--help'], ['version']]) {
    test(`${args.join('_')}_loads_the_command_table_only`, () => {
      const loads = iomux(...args);
      assert.equal(loads.status, 0, loads.stderr);
      assert.deepEqual(own(loads).sort(), ['src/cli/cli.ts', 'src/cli/main.ts']);
    });
  }

  test('run_on_the_simulated_kernel_loads_neither_linux_nor_koffi_nor_the_bench_nor_the_server', () => {
    const loads = iomux('run', 'examples/01-select-loop.json');
    assert.equal(loads.status, 0, loads.stderr);
    const mine = own(loads);
    assert.ok(mine.includes('src/kernel/index.ts'), 'it ran on the simulated kernel');
    assert.deepEqual(
      mine.filter((p) => /^src\/(linux|bench)\/|^src\/cli\/(play|trace|fmt)\.ts$/.test(p)),
      [],
    );
    assert.deepEqual(
      loads.modules.filter((u) => u.includes('/koffi/') || u === 'node:http'),
      [],
    );
  });
});
