// The package as npm users get it: `npm pack`, installed into an empty project (offline, from
// npm's cache: the lock file below pins koffi as this repository's lock does), then used from
// plain Node — an `.mjs` file importing 'iomux' and 'iomux/linux', the README's example run
// unchanged, its types checked by tsc — and the CLI through npx.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { linuxBackendAvailable } from '../../src/linux/index.ts';
import { type Loads, loadsOf } from '../cli/loads.ts';
import { EXAMPLE, readmeExample, repo } from './readme.ts';

interface LockEntry {
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** npm's environment without what an enclosing `npm test` set (its prefix, its lifecycle). */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} (in ${cwd}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** The lock file of a project depending on the tarball only: its dependencies as ours are locked. */
function lockFor(tarball: string): object {
  const ours = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', dependencies: { [pkg.name]: `file:${tarball}` } },
    [`node_modules/${pkg.name}`]: {
      version: pkg.version,
      resolved: `file:${tarball}`,
      dependencies: pkg.dependencies,
      bin: { iomux: 'bin/iomux.js' },
    },
  };
  const todo = Object.keys(pkg.dependencies);
  for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
    const key = `node_modules/${name}`;
    if (packages[key]) continue;
    const entry = ours.packages[key];
    assert.ok(entry, `${name} is in package-lock.json`);
    packages[key] = entry;
    todo.push(...Object.keys({ ...entry.dependencies, ...entry.optionalDependencies }));
  }
  return { name: 'consumer', lockfileVersion: 3, requires: true, packages };
}

describe('the packed package', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'iomux-pack-'));
  const project = join(dir, 'consumer');
  let files: string[] = [];

  before(() => {
    // `npm pack` runs `prepare`, which builds dist/.
    const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], repo)) as {
      filename: string;
      files: { path: string }[];
    }[];
    files = packed.files.map((f) => f.path);
    const tarball = join(dir, packed.filename);
    mkdirSync(project);
    const manifest = {
      name: 'consumer',
      private: true,
      type: 'commonjs', // the default: the package must not depend on the project being ESM
      dependencies: { [pkg.name]: `file:${tarball}` },
      allowScripts: { koffi: false },
    };
    writeFileSync(join(project, 'package.json'), JSON.stringify(manifest, null, 2));
    writeFileSync(join(project, 'package-lock.json'), JSON.stringify(lockFor(tarball), null, 2));
    run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], project);
  });

  test('holds_the_built_javascript_and_types_not_the_sources', () => {
    for (const f of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/linux/index.js',
      'dist/cli/main.js',
      'bin/iomux.js',
    ])
      assert.ok(files.includes(f), f);
    assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('test/')), 'no sources, no tests');
    assert.ok(!files.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), 'no TypeScript to run');
    assert.ok(!('tsx' in pkg.dependencies), 'tsx is needed only to develop');
  });

  test('imports_from_a_plain_mjs_file', () => {
    writeFileSync(
      join(project, 'use.mjs'),
      [
        "import { Kernel, ok, parseScriptText, runScript, simBackend } from 'iomux';",
        "import { linuxBackend } from 'iomux/linux';",
        'const script = parseScriptText(\'{"steps": [{"call": "pipe", "expect": {"ret": 0}}]}\');',
        'const report = await runScript(script, simBackend);',
        'console.log(typeof Kernel, typeof ok, linuxBackend.name, report.outcomes[0].ok);',
      ].join('\n'),
    );
    assert.equal(run(process.execPath, ['use.mjs'], project), 'function function linux true\n');
  });

  test('runs_the_readme_example_unchanged_as_mjs', () => {
    copyFileSync(join(repo, EXAMPLE), join(project, 'pipe-epoll.mjs'));
    assert.equal(run(process.execPath, ['pipe-epoll.mjs'], project), readmeExample().output);
  });

  test('types_check_the_readme_example', () => {
    copyFileSync(join(repo, EXAMPLE), join(project, 'pipe-epoll.mts'));
    const tsconfig = {
      compilerOptions: {
        module: 'nodenext',
        target: 'es2023',
        strict: true,
        noEmit: true,
        types: ['node'],
        typeRoots: [join(repo, 'node_modules/@types')],
      },
      files: ['pipe-epoll.mts'],
    };
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(tsconfig));
    run(join(repo, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], project);
  });

  test('runs_the_cli_through_npx', () => {
    assert.match(run('npx', ['iomux', '--help'], project), /^Usage: iomux COMMAND \[options\]$/m);
    assert.equal(run('npx', ['iomux', 'version'], project), `iomux ${pkg.version}\n`);
    const script = join(project, 'one.json');
    writeFileSync(
      script,
      JSON.stringify({ steps: [{ call: 'pipe', bind: ['r', 'w'], expect: { ret: 0 } }] }),
    );
    assert.match(run('npx', ['iomux', 'run', 'one.json'], project), /^sim: 1 step, 1 expect: all matched$/m);
    if (linuxBackendAvailable())
      assert.match(
        run('npx', ['iomux', 'run', '--backend', 'linux', 'one.json'], project),
        /^linux: 1 step, 1 expect: all matched$/m,
      );
    assert.ok(!existsSync(join(project, 'node_modules/tsx')), 'the CLI ran without tsx');
  });

  // The command is a bundle split per command (scripts/build-cli.mjs): each command loads its chunks.
  function installed(...args: string[]): { loads: Loads; files: string[] } {
    const bin = join(project, 'node_modules/iomux/bin/iomux.js');
    const loads = loadsOf([], bin, args, project);
    assert.equal(loads.status, 0, loads.stderr);
    const dist = `${pathToFileURL(join(project, 'node_modules/iomux/dist')).href}/`;
    assert.ok(loads.modules.includes(`${dist}cli/main.js`), 'the hook recorded the modules');
    // Loaded from the package: every one of them from the bundle's directory, none from the library's.
    const own = loads.modules.filter(
      (u) => u.includes('/node_modules/iomux/') && !u.endsWith('/bin/iomux.js'),
    );
    assert.deepEqual(
      own.filter((u) => !u.startsWith(`${dist}cli/`)),
      [],
    );
    return { loads, files: own.map((u) => u.slice(`${dist}cli/`.length)) };
  }

  test('the_cli_help_loads_the_command_table_only', () => {
    const cli = join(project, 'node_modules/iomux/dist/cli');
    for (const args of [['--help'], ['run', '--help'], ['version']]) {
      const { files } = installed(...args);
      assert.ok(files.length <= 3, `${args.join(' ')}: ${files.join(', ')}`);
      assert.deepEqual(
        files.filter((f) => !/^(main|chunk-[A-Z0-9]+)\.js$/.test(f)),
        [],
        args.join(' '),
      );
      // Neither the script module nor the kernel: their functions keep their names in the bundle.
      for (const f of files) {
        const code = readFileSync(join(cli, f), 'utf8');
        assert.doesNotMatch(code, /\b(ep_insert|parseScriptText)\b/, `${args.join(' ')}: ${f}`);
      }
    }
  });

  test('the_cli_runs_a_script_on_the_simulated_kernel_without_linux_koffi_the_bench_or_the_server', () => {
    writeFileSync(join(project, 'sim.json'), readFileSync(join(repo, 'examples/01-select-loop.json')));
    const { loads, files } = installed('run', 'sim.json');
    assert.match(loads.stdout, /^sim: \d+ steps, \d+ expects: all matched$/m);
    assert.ok(
      files.some((f) => f.startsWith('kernel-')),
      files.join(', '),
    );
    assert.deepEqual(
      files.filter((f) => /^(linux|bench|play|trace|fmt)-/.test(f)),
      [],
    );
    assert.deepEqual(
      loads.modules.filter((u) => u.includes('/koffi/') || u === 'node:http'),
      [],
    );
  });

  test('the_bundled_cli_prints_what_the_sources_print', () => {
    // Every example on the simulated kernel, and one trace in the trace format, byte for byte.
    for (const args of [
      ['demo', '--json'],
      ['trace', join(repo, 'examples/08-interest-tree-and-ready-list.json'), '--json'],
    ]) {
      const sources = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
        cwd: repo,
        env,
        encoding: 'utf8',
        maxBuffer: 1 << 28,
      });
      const bundled = spawnSync(process.execPath, ['node_modules/iomux/bin/iomux.js', ...args], {
        cwd: project,
        env,
        encoding: 'utf8',
        maxBuffer: 1 << 28,
      });
      assert.equal(sources.status, 0, sources.stderr);
      assert.ok(sources.stdout.length > 1000, 'the sources printed something');
      assert.equal(bundled.status, sources.status, bundled.stderr);
      assert.ok(bundled.stdout === sources.stdout, `${args.join(' ')}: the bundle prints the same`);
    }
  });
});
