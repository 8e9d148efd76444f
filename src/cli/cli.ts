// The command line. Each command's options live in one table that drives both parsing
// (node:util parseArgs) and `--help`. The CLI depends only on the public API (src/api) and the
// script module; the backends are loaded on first use, Linux's only when a command needs it.
//
// Exit statuses: 0 success, 1 a mismatch or a difference, 2 a usage error, a malformed script, a
// run that stopped early (a call that blocks forever or is unsupported, a process a signal killed),
// or a backend that cannot run. Each command's help says which it uses (test/cli/exit-status.test.ts holds them to it).

import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Backend } from '../api/backend.ts';
import {
  type DiffReport,
  diffScript,
  exitStatus,
  formatScriptJson,
  type JsonObject,
  output,
  parseScriptText,
  type RunReport,
  recordScript,
  runScript,
  type Script,
  ScriptError,
  type StepView,
} from '../script/index.ts';
import { formatScriptTextForm, parseScriptSource, scriptFormatOf } from '../script/text.ts';
import { formatFiles, type ScriptForm } from './fmt.ts';
import { traceScript } from './trace.ts';

export type BackendName = Backend['name'];

/** What the CLI touches outside itself, so tests can run it in-process. */
export interface CliIo {
  readonly stdout: {
    write(s: string): unknown;
    readonly isTTY?: boolean;
    /** Resolves once what was written has gone out (a long `trace --json` waits on it). */
    drained?(): Promise<void>;
  };
  readonly stderr: { write(s: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readStdin: () => Promise<string>;
  readonly loadBackend: (name: BackendName) => Promise<Backend>;
}

/** A usage or environment problem: reported as one line, exit status 2. */
export class CliError extends Error {
  override name = 'CliError';
}

interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** The value's placeholder in help, for string options. */
  readonly value?: string;
  readonly choices?: readonly string[];
  readonly default?: string;
  readonly required?: boolean;
  readonly help: string;
}

type Values = Record<string, string | boolean | undefined>;

interface Command {
  readonly summary: string;
  /** The positional arguments, as help shows them ("SCRIPT..."); empty for none. */
  readonly args: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  /** More about the command, for its help. */
  readonly about: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly run: (cli: Cli, values: Values, positionals: string[]) => Promise<number>;
  /** The command parses its own arguments from its own table (bench: src/bench/args.ts). */
  readonly raw?: (cli: Cli, args: string[]) => Promise<number>;
}

const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', help: 'show this help' };

const BACKEND_OPTION: OptionSpec = {
  type: 'string',
  value: 'NAME',
  choices: ['sim', 'linux'],
  default: 'sim',
  help: 'the kernel to run on: sim (the simulated kernel) or linux (this machine’s)',
};

const JSON_OPTION: OptionSpec = { type: 'boolean', help: 'one JSON object per line and step' };

const EXIT_RUN =
  'Exit status: 0 every expect matched, 1 one did not, 2 a usage error, a malformed script, or a run\n' +
  'that stopped early (a call blocks forever or is unsupported, a signal killed or stopped the\n' +
  'process, or the backend cannot run).';

/** What "blocks forever" means on each backend (src/linux/process.ts: BLOCK_LIMIT_MS). */
const BLOCKS_FOREVER =
  'A call blocks forever when no thread can ever run again (sim: a deadlock), or when it has not\n' +
  'returned 2 000 ms past its own timeout, or after 2 000 ms without one (linux).';

export const COMMANDS: Readonly<Record<string, Command>> = {
  run: {
    summary: 'run syscall scripts and check every expect',
    args: 'SCRIPT...',
    minArgs: 1,
    maxArgs: Number.POSITIVE_INFINITY,
    about: `Runs each script (a file, or - for standard input; JSON, or the text form: .iomux) in a fresh process\nand prints a line per step.\n${BLOCKS_FOREVER}\n${EXIT_RUN}`,
    options: { backend: BACKEND_OPTION, json: JSON_OPTION },
    run: (cli, v, files) => cli.run(files, v.backend as BackendName, v.json === true),
  },
  diff: {
    summary: 'run scripts on the simulated kernel and on Linux, and show where they differ',
    args: 'SCRIPT...',
    minArgs: 1,
    maxArgs: Number.POSITIVE_INFINITY,
    about:
      'Results are compared without their timing-dependent parts (a select timeout left mid-wait,\n' +
      "an armed timer's remaining time, whether a thread's call had blocked). The steps up to where a\n" +
      'run stopped early are still compared.\n' +
      `${BLOCKS_FOREVER}\n` +
      'Exit status: 0 identical and both runs finished, 1 some step differs, 2 a usage error, a malformed\n' +
      'script, or a run that stopped early on either kernel (a call blocks forever or is unsupported,\n' +
      'a signal killed or stopped the process, or a backend cannot run).',
    options: { json: { type: 'boolean', help: 'one JSON object per line and differing step' } },
    run: (cli, v, files) => cli.diff(files, v.json === true),
  },
  record: {
    summary: "run scripts on Linux and write every step's expect from the results",
    args: 'SCRIPT...',
    minArgs: 1,
    maxArgs: Number.POSITIVE_INFINITY,
    about:
      'Thread starts get no expect (their join does); timing-dependent values are left out.\n' +
      'With several scripts, or an existing directory, --out is a directory and each script keeps its file name.\n' +
      `${BLOCKS_FOREVER}\n` +
      'Exit status: 0 all recorded, 2 a usage error, a malformed script, or a run that stopped early (a\n' +
      'call blocks forever or is unsupported, a signal killed or stopped the process, or the backend\n' +
      'cannot run): nothing is written for it.',
    options: {
      out: {
        type: 'string',
        short: 'o',
        value: 'DIR|FILE',
        required: true,
        help: 'where to write the recorded scripts',
      },
    },
    run: (cli, v, files) => cli.record(files, v.out as string),
  },
  fmt: {
    summary: 'convert syscall scripts between the JSON form and the text form (.iomux)',
    args: 'SCRIPT...',
    minArgs: 1,
    maxArgs: Number.POSITIVE_INFINITY,
    about:
      'Each script (a file, or - for standard input) is checked as run checks it, then written in the\n' +
      'other form (or the one --to names): .iomux files to JSON, .json files to text. Several scripts\n' +
      'need --out DIR, where each keeps its name with the new extension. Nothing is lost either way\n' +
      "but the text form's comment lines, which JSON has no place for (docs/script-format.md).\n" +
      'Exit status: 0 every script converted, 2 a usage error, or a malformed or unreadable script\n' +
      '(nothing is written for it).',
    options: {
      to: {
        type: 'string',
        value: 'FORM',
        choices: ['json', 'text'],
        help: 'the form to write: json or text',
      },
      out: {
        type: 'string',
        short: 'o',
        value: 'FILE|DIR|-',
        default: '-',
        help: 'where to write: a file, a directory, or - for standard output',
      },
    },
    run: (cli, v, files) =>
      formatFiles(cli, files, v.to as ScriptForm | undefined, v.out as string, (m) => new CliError(m)),
  },
  trace: {
    summary: 'run a script on the simulated kernel and show what happens inside each call',
    args: 'SCRIPT',
    minArgs: 1,
    maxArgs: 1,
    about:
      'Per step: the call and its result, the kernel events inside it (wake-ups, callbacks, list\n' +
      'and tree moves, threads blocking and waking), its cost counters, and what changed in the\n' +
      "kernel's state. --json writes the whole trace, with the kernel's state before the first step\n" +
      'and after each (a full snapshot every 100 steps, the changes between), in the trace format\n' +
      `(docs/trace-format.md).\n${EXIT_RUN}`,
    options: { json: { type: 'boolean', help: 'the whole trace as one JSON document' } },
    run: (cli, v, [file]) => cli.trace(file as string, v.json === true),
  },
  play: {
    summary: 'serve the playground (the kernel, step by step, in a browser) on 127.0.0.1',
    args: '',
    minArgs: 0,
    maxArgs: 0,
    about:
      'Serves the built page (dist/web/, from "npm run build:web") at a random free port on 127.0.0.1\n' +
      'only, and prints its URL: the random token in it is required by every request. From the page a\n' +
      "script can also be run on this machine's kernel (the linux backend) and compared. Ctrl-C stops it.\n" +
      'Exit status: 0 stopped (SIGINT or SIGTERM), 2 a usage error, the page not built, or the port taken.',
    options: {
      port: { type: 'string', value: 'N', help: 'listen on port N instead of a random free one' },
      'no-open': { type: 'boolean', help: 'do not open a browser (it opens only where there is a desktop)' },
      root: { type: 'string', value: 'DIR', help: 'serve DIR instead of the built page (dist/web/)' },
    },
    run: async (cli, v) =>
      (await import('./play.ts')).playCommand(cli, {
        port: v.port as string | undefined,
        root: v.root as string | undefined,
        open: v['no-open'] !== true,
      }),
  },
  demo: {
    summary: 'run the examples (examples/*.json) and give an account of each',
    args: '',
    minArgs: 0,
    maxArgs: 0,
    about: `Each example's notes say what it shows and why Linux does it; then each step and its result.\n${EXIT_RUN}`,
    options: { backend: BACKEND_OPTION, json: JSON_OPTION },
    run: (cli, v) => cli.demo(v.backend as BackendName, v.json === true),
  },
  bench: {
    summary: 'measure select, poll and epoll on the simulated kernel beside the real kernel',
    args: '[OPTIONS]',
    minArgs: 0,
    maxArgs: 0,
    about:
      'See "iomux bench --help" for the options (the table in src/bench/args.ts).\nExit status: 0 measured, 2 a usage error.',
    options: {},
    run: async () => 0,
    raw: async (cli, args) => {
      const bench = await import('../bench/index.ts');
      let options: ReturnType<typeof bench.parseBenchArgs>;
      try {
        options = bench.parseBenchArgs(args);
      } catch (e) {
        throw new CliError(`bench: ${(e as Error).message}`);
      }
      if (options.help) {
        cli.out(bench.benchHelp('iomux bench'));
        return 0;
      }
      await bench.runBench(options, (line) => cli.out(line));
      return 0;
    },
  },
  version: {
    summary: 'print the version',
    args: '',
    minArgs: 0,
    maxArgs: 0,
    about: 'Exit status: 0 printed, 2 a usage error.',
    options: {},
    run: async (cli) => {
      cli.out(`iomux ${packageVersion()}`);
      return 0;
    },
  },
  help: {
    summary: "show the commands, or a command's options",
    args: '[COMMAND]',
    minArgs: 0,
    maxArgs: 1,
    about: 'Exit status: 0 shown, 2 a usage error (an unknown command).',
    options: {},
    run: async (cli, _v, [name]) => {
      if (name === undefined) {
        cli.out(topHelp());
        return 0;
      }
      const command = COMMANDS[name];
      if (!command) throw new CliError(`unknown command "${name}" (${commandList()})`);
      cli.out(commandHelp(name, command));
      return 0;
    },
  },
};

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const cli = new Cli(io);
  try {
    const [first, ...rest] = argv;
    if (first === undefined) {
      io.stderr.write(`${topHelp()}\n`);
      return 2;
    }
    if (first === '--help' || first === '-h') return await COMMANDS.help.run(cli, {}, []);
    if (first === '--version' || first === '-V') return await COMMANDS.version.run(cli, {}, []);
    if (first.startsWith('-'))
      throw new CliError(`unknown option "${first}" (options come after the command)`);
    const command = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
    if (!command) throw new CliError(`unknown command "${first}" (${commandList()})`);
    if (command.raw) return await command.raw(cli, rest);
    const parsed = parseCommandLine(first, command, rest);
    if (parsed.values.help === true) {
      cli.out(commandHelp(first, command));
      return 0;
    }
    return await command.run(cli, parsed.values, parsed.positionals);
  } catch (e) {
    if (e instanceof CliError) {
      io.stderr.write(`iomux: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

function parseCommandLine(
  name: string,
  command: Command,
  args: string[],
): { values: Values; positionals: string[] } {
  const specs = { ...command.options, help: HELP_OPTION };
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [key, spec] of Object.entries(specs)) {
    options[key] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
  }
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (e) {
    throw new CliError(
      `${name}: ${(e as Error).message.replace(/\. To specify a positional.*$/s, '')} (see "iomux ${name} --help")`,
    );
  }
  const { values, positionals } = parsed;
  if (values.help === true) return parsed;
  for (const [key, spec] of Object.entries(command.options)) {
    if (values[key] === undefined && spec.default !== undefined) values[key] = spec.default;
    const v = values[key];
    if (v === undefined && spec.required)
      throw new CliError(`${name}: --${key} ${spec.value ?? ''} is required`.trimEnd());
    if (typeof v === 'string' && spec.choices && !spec.choices.includes(v)) {
      throw new CliError(`${name}: --${key} must be one of ${spec.choices.join(', ')}, not "${v}"`);
    }
  }
  if (positionals.length < command.minArgs)
    throw new CliError(`${name}: give at least one ${command.args.replace('...', '')}`);
  if (positionals.length > command.maxArgs) {
    throw new CliError(
      `${name}: unexpected argument "${positionals[command.maxArgs]}" (see "iomux ${name} --help")`,
    );
  }
  return parsed;
}

// ---- help ----

function commandList(): string {
  return `commands: ${Object.keys(COMMANDS).join(', ')}`;
}

export function topHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`);
  return [
    'iomux: Linux I/O multiplexing (select, poll, epoll) as a simulated kernel, checked against Linux',
    '',
    'Usage: iomux COMMAND [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run "iomux help COMMAND" or "iomux COMMAND --help" for its options.',
  ].join('\n');
}

export function commandHelp(name: string, command: Command): string {
  const specs = Object.entries({ ...command.options, help: HELP_OPTION });
  const label = ([key, s]: [string, OptionSpec]) =>
    `${s.short ? `-${s.short}, ` : '    '}--${key}${s.type === 'string' ? ` ${s.value ?? 'VALUE'}` : ''}`;
  const width = Math.max(...specs.map((e) => label(e).length));
  const options = specs.map((e) => {
    const s = e[1];
    const extra = s.required ? ' (required)' : s.default !== undefined ? ` (default: ${s.default})` : '';
    return `  ${label(e).padEnd(width)}  ${s.help}${extra}`;
  });
  const usage = `Usage: iomux ${name}${command.args ? ` ${command.args}` : ''}${specs.length > 1 ? ' [options]' : ''}`;
  return [
    usage,
    '',
    `${command.summary[0].toUpperCase()}${command.summary.slice(1)}.`,
    ...(command.about ? [command.about] : []),
    '',
    'Options:',
    ...options,
  ].join('\n');
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

// ---- commands ----

interface Loaded {
  readonly path: string;
  readonly script?: Script;
  readonly error?: ScriptError;
  /** The form the script was written in (a recording is written in the same form). */
  readonly form?: ScriptForm;
}

export class Cli {
  private readonly backends = new Map<BackendName, Promise<Backend>>();
  readonly style: output.Style;

  constructor(readonly io: CliIo) {
    const env = io.env;
    const color = env.FORCE_COLOR
      ? env.FORCE_COLOR !== '0'
      : io.stdout.isTTY === true && env.NO_COLOR === undefined;
    this.style = output.makeStyle(color);
  }

  out(line: string): void {
    this.io.stdout.write(`${line}\n`);
  }

  err(line: string): void {
    this.io.stderr.write(`${line}\n`);
  }

  backend(name: BackendName): Promise<Backend> {
    let b = this.backends.get(name);
    if (!b) {
      b = this.io.loadBackend(name);
      this.backends.set(name, b);
    }
    return b;
  }

  /** Read and validate every script before any runs; malformed ones are reported, not run. */
  async load(paths: readonly string[], json: boolean, multi: boolean): Promise<Loaded[]> {
    const loaded: Loaded[] = [];
    for (const path of paths) {
      let text: string;
      try {
        text = path === '-' ? await this.io.readStdin() : await readFile(path, 'utf8');
      } catch (e) {
        throw new CliError(
          `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
      }
      try {
        loaded.push({ path, script: parseScriptSource(path, text), form: scriptFormatOf(path, text) });
      } catch (e) {
        if (!(e instanceof ScriptError)) throw e;
        loaded.push({ path, error: e });
        this.err(`${this.style.bad('malformed')} ${path}: ${e.message}`);
        if (json) {
          const extra: JsonObject = multi ? { script: path } : {};
          this.out(
            JSON.stringify({
              ...extra,
              step: e.step ?? null,
              error: { kind: 'malformed', message: e.message },
            }),
          );
        }
      }
    }
    return loaded;
  }

  async run(paths: readonly string[], backendName: BackendName, json: boolean): Promise<number> {
    const multi = paths.length > 1;
    const loaded = await this.load(paths, json, multi);
    let status = loaded.some((l) => l.error) ? 2 : 0;
    const runnable = loaded.filter((l) => l.script);
    if (runnable.length === 0) return status;
    const backend = await this.backend(backendName);
    for (const [i, { path, script }] of runnable.entries()) {
      status = Math.max(status, await this.runOne(path, script as Script, backend, json, multi, i > 0));
    }
    return status;
  }

  async trace(path: string, json: boolean): Promise<number> {
    const [loaded] = await this.load([path], false, false);
    if (!loaded.script) return 2;
    return traceScript(this, path, loaded.script, json);
  }

  /** The examples (examples/*.json), each with its notes, then its steps and results. */
  async demo(backendName: BackendName, json: boolean): Promise<number> {
    const dir = new URL('../../examples/', import.meta.url);
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
    const backend = await this.backend(backendName);
    let status = 0;
    for (const [i, file] of files.entries()) {
      const text = await readFile(new URL(file, dir), 'utf8');
      const script = parseScriptText(text);
      const notes = (JSON.parse(text) as { notes?: unknown }).notes;
      if (!json) {
        if (i > 0) this.out('');
        this.out(this.style.bold(`${script.name ?? file}`) + this.style.dim(`  (examples/${file})`));
        if (typeof notes === 'string')
          for (const line of wrap(notes, 96)) this.out(this.style.dim(`  ${line}`));
      }
      status = Math.max(
        status,
        await this.runOne(`examples/${file}`, script, backend, json, true, false, true),
      );
    }
    return status;
  }

  private async runOne(
    path: string,
    script: Script,
    backend: Backend,
    json: boolean,
    multi: boolean,
    gap: boolean,
    untitled = false,
  ): Promise<number> {
    const extra: JsonObject = multi ? { script: path } : {};
    const style = this.style;
    if (!json && !untitled) {
      if (gap) this.out('');
      this.out(style.bold(`${script.name ?? path}${script.name ? style.dim(`  (${path})`) : ''}`));
    }
    const report = await runScript(script, backend, {
      onStep: (o, step) => this.out(json ? output.outcomeJson(o, extra) : output.renderStep(step, o, style)),
    });
    if (report.failure) {
      this.out(
        json
          ? output.failureJson(report.failure, extra)
          : output.renderFailure(script, report.failure, style),
      );
      this.debug(report);
    }
    if (!json) this.out(output.renderSummary(report, script, style));
    if (report.failure && json) this.err(`${path}: ${failureLine(report)}`);
    return exitStatus(report);
  }

  async diff(paths: readonly string[], json: boolean): Promise<number> {
    const multi = paths.length > 1;
    const loaded = await this.load(paths, json, multi);
    let status = loaded.some((l) => l.error) ? 2 : 0;
    const runnable = loaded.filter((l) => l.script);
    if (runnable.length === 0) return status;
    const [sim, linux] = [await this.backend('sim'), await this.backend('linux')];
    for (const { path, script } of runnable) {
      const s = script as Script;
      const report = await diffScript(s, sim, linux);
      const extra: JsonObject = multi ? { script: path } : {};
      if (json) {
        for (const d of report.differences) {
          const line = { ...extra, step: d.step, call: d.call, sim: viewJson(d.a), linux: viewJson(d.b) };
          this.out(JSON.stringify(line));
        }
      }
      if (!json) this.renderDiff(path, s, report);
      // A run that stopped early left the rest of the script uncompared: as `run`, that is 2.
      const stopped = [report.a, report.b].filter((r) => r.failure);
      if (json) for (const r of stopped) this.err(`${path}: ${r.backend}: ${failureLine(r)}`);
      status = Math.max(status, report.differences.length ? 1 : 0, stopped.length ? 2 : 0);
    }
    return status;
  }

  private renderDiff(path: string, script: Script, report: DiffReport): void {
    const style = this.style;
    const n = report.differences.length;
    // Both stopped at the same step for the same reason: identical, but the rest was not compared.
    const both = n === 0 && report.a.failure && report.b.failure ? report.a.failure : undefined;
    const head =
      n > 0
        ? style.bad(`${n} step${n === 1 ? ' differs' : 's differ'}`)
        : both
          ? style.bad('identical on sim and linux until both stopped')
          : style.ok('identical on sim and linux');
    this.out(`${path}: ${head}`);
    const inSteps = report.differences.filter((d) => d.step < script.steps.length);
    for (const [i, d] of inSteps.entries()) {
      // Past the step where one run stopped, every step differs the same way: say it once.
      const side = 'notReached' in d.a ? 'sim' : 'notReached' in d.b ? 'linux' : undefined;
      if (side) {
        const last = inSteps[inSteps.length - 1].step;
        const range = last > d.step ? `${d.step}–${last}` : String(d.step);
        const count = inSteps.length - i;
        this.out(
          style.dim(`${range.padStart(4)}  not reached on ${side} (${count} step${count === 1 ? '' : 's'})`),
        );
        break;
      }
      this.out(`${style.dim(String(d.step).padStart(4))}  ${output.renderCall(script.steps[d.step])}`);
      this.out(`        sim    ${output.renderView(d.a)}`);
      this.out(`        linux  ${output.renderView(d.b)}`);
    }
    // Creating or closing the process failed on one side.
    for (const d of report.differences.filter((x) => x.step >= script.steps.length)) {
      this.out(`      ${d.call}`);
      this.out(`        sim    ${output.renderView(d.a)}`);
      this.out(`        linux  ${output.renderView(d.b)}`);
    }
    if (both) this.out(style.dim(`      both stopped at step ${both.step}: ${both.kind}`));
  }

  async record(paths: readonly string[], out: string): Promise<number> {
    const loaded = await this.load(paths, false, paths.length > 1);
    let status = loaded.some((l) => l.error) ? 2 : 0;
    const runnable = loaded.filter((l) => l.script);
    if (runnable.length === 0) return status;
    const toDir = paths.length > 1 || out.endsWith('/') || (await isDirectory(out));
    if (toDir) await mkdir(out, { recursive: true });
    const linux = await this.backend('linux');
    for (const { path, script, form } of runnable) {
      const s = script as Script;
      const { document, report } = await recordScript(s, linux);
      if (!document) {
        this.err(`${this.style.bad('not recorded')} ${path}: ${failureLine(report)}`);
        this.debug(report);
        status = 2;
        continue;
      }
      const stdinName = form === 'text' ? 'stdin.iomux' : 'stdin.json';
      const target = toDir ? join(out, path === '-' ? stdinName : basename(path)) : out;
      await writeFile(target, form === 'text' ? formatScriptTextForm(document) : formatScriptJson(document));
      const expects = report.outcomes.filter((o) => s.steps[o.step]?.shape !== 'started').length;
      this.out(`recorded ${path} → ${target} (${s.steps.length} steps, ${expects} expects)`);
    }
    return status;
  }

  /** IOMUX_DEBUG=1: the stack of an unexpected exception (a bug, not a script problem). */
  private debug(report: RunReport): void {
    const cause = report.failure?.cause;
    if (this.io.env.IOMUX_DEBUG && report.failure?.kind === 'error' && cause instanceof Error)
      this.err(cause.stack ?? '');
  }
}

function failureLine(report: RunReport): string {
  const f = report.failure;
  if (!f) return '';
  return `${f.step === null ? f.call : `step ${f.step} (${f.call})`}: ${f.message}`;
}

function viewJson(v: StepView): JsonObject {
  if ('result' in v) return { result: v.result };
  if ('started' in v) return { started: true };
  if ('stopped' in v) return { error: { kind: v.stopped, message: v.message } };
  return { notReached: true };
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The demo: script-format.md's own example. */

/** Break prose into lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
