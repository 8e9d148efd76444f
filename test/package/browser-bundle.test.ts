// The 'iomux' entry point loads nothing from Node, so it bundles for a browser (the playground):
// esbuild, building for the browser, cannot resolve Node's built-in modules and fails on any.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build } from 'esbuild';
import { repo } from './readme.ts';

test('the_main_entry_point_bundles_for_a_browser', async () => {
  const result = await build({
    entryPoints: [`${repo}src/index.ts`],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
  assert.deepEqual(result.errors, []);
  const code = result.outputFiles[0].text;
  assert.doesNotMatch(code, /\b(process|Buffer|require)\s*[.(]/, 'no Node globals either');
});

test('the_linux_entry_point_does_not_bundle_for_a_browser', async () => {
  await assert.rejects(
    build({
      entryPoints: [`${repo}src/linux/index.ts`],
      bundle: true,
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    }),
    /node:child_process|Could not resolve/,
  );
});
