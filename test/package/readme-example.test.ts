// The README's library example is a file in the repository (examples/library/pipe-epoll.mts):
// the README prints it as it is, and it runs and prints what the README says it prints.
// (test/package/pack.test.ts runs the same file against the packed package.)

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXAMPLE, readmeExample, repo } from './readme.ts';

test('the_readme_prints_the_library_example_as_it_is_in_the_repository', () => {
  assert.equal(readmeExample().code, readFileSync(join(repo, EXAMPLE), 'utf8'));
});

test('the_library_example_prints_what_the_readme_says', () => {
  // 'iomux' is the package itself; the iomux-source condition resolves it to src/ (no build).
  const stdout = execFileSync(
    process.execPath,
    ['--conditions=iomux-source', '--import', 'tsx', join(repo, EXAMPLE)],
    { cwd: repo, encoding: 'utf8' },
  );
  assert.equal(stdout, readmeExample().output);
});
