// Builds the installed `iomux` command: src/cli/main.ts bundled by esbuild into dist/cli/ (run by
// `npm run build`, after tsc has built the library into the rest of dist/).
//
// Why a bundle: measured on the installed package, `iomux run` of one script spent most of its
// start in Node's ES module loader — resolving, stat-ing, reading and compiling some 90 files, one
// at a time (a CPU profile: ~60 of its ~150 ms). One file per command costs a fraction of that.
// The bundle is split at each dynamic import, so a command loads only what it uses: `--help` the
// command table alone, `run` on the simulated kernel neither the Linux backend (koffi) nor the
// bench nor the playground's server (test/package/pack.test.ts holds it to that).
//
// The library (the package's exports: dist/index.js, dist/linux/index.js) stays tsc's module per
// file; the bundle shares no module instance with it, and nothing imports dist/cli/.
//
// Every output file sits in dist/cli/, two levels below the package root as src/cli/*.ts sit
// below the clone's, so paths taken from import.meta.url (package.json, examples/, dist/web/,
// native/, bench/c/) mean the same in the sources and in the bundle. Two modules start a child
// Node process on a file beside themselves (src/linux/process.ts: child.js; src/bench/memory.ts:
// memory-child.js): those children are entry points of their own, written beside the chunks.

import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/cli`;

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts', 'src/linux/child.ts', 'src/bench/memory-child.ts'],
  outdir,
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // The dependencies (koffi, native) are installed beside the package, not copied into it.
  packages: 'external',
  // Bundling renames clashing top-level names; functions and classes keep their `name` as in the
  // sources, so nothing printed can differ.
  keepNames: true,
  logLevel: 'warning',
});
