// What a command loads: the command runs in a child Node whose module hook records every ES module
// it loads (node: built-ins included), and, at exit, the CommonJS modules in require's cache (koffi
// is loaded through createRequire). A check on what is loaded, not on how long it takes.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const HOOKS = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.IOMUX_LOADS, url + '\\n');
  return next(url, context);
}
`;

const REGISTER = (hooks: string) => `import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
register(${JSON.stringify(hooks)});
process.on('exit', () => {
  const cached = Object.keys(createRequire(import.meta.url).cache);
  appendFileSync(process.env.IOMUX_LOADS, cached.map((f) => pathToFileURL(f).href + '\\n').join(''));
});
`;

export interface Loads {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Every module loaded, as URLs (file: or node:), in the order loaded, each once. */
  modules: string[];
}

/** Run `node [nodeArgs] script args` in `cwd` and list the modules it loaded. */
export function loadsOf(
  nodeArgs: readonly string[],
  script: string,
  args: readonly string[],
  cwd: string,
): Loads {
  const dir = mkdtempSync(join(tmpdir(), 'iomux-loads-'));
  const hooks = join(dir, 'hooks.mjs');
  const register = join(dir, 'register.mjs');
  const log = join(dir, 'loads.txt');
  writeFileSync(hooks, HOOKS);
  writeFileSync(register, REGISTER(pathToFileURL(hooks).href));
  writeFileSync(log, '');
  const r = spawnSync(
    process.execPath,
    [...nodeArgs, '--import', pathToFileURL(register).href, script, ...args],
    {
      cwd,
      env: { ...process.env, IOMUX_LOADS: log, NODE_OPTIONS: '' },
      encoding: 'utf8',
    },
  );
  const modules = [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))];
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, modules };
}
