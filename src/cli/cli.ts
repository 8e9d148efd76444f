// The command line. Each command's options live in one table that drives both parsing
// (node:util parseArgs) and `--help`. This module loads nothing but Node's fs and util: the
// commands' work (commands.ts, and through it the script module) is imported once a command
// runs, and each backend on first use, Linux's only when a command needs it. So `iomux --help`,
// `iomux version` and `iomux COMMAND --help` load this module and main.ts, and nothing else
// (test/cli/loads.test.ts).
//
// Exit statuses: 0 success, 1 a mismatch or a difference, 2 a usage error, a malformed script, a
// run that stopped early (a call that blocks forever or is unsupported, a process a signal killed),
// or a backend that cannot run. Each command's help says which it uses (test/cli/exit-status.test.ts holds them to it).

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Backend } from '../api/backend.ts';
import type { Cli } from './commands.ts';
import type { ScriptForm } from './fmt.ts';

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

interface CommandInfo {
  readonly summary: string;
  /** The positional arguments, as help shows them ("SCRIPT..."); empty for none. */
  readonly args: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  /** More about the command, for its help. */
  readonly about: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
}

/** A command that does work: the commands' module (commands.ts) is loaded before it runs. */
interface WorkCommand extends CommandInfo {
  readonly run: (cli: Cli, values: Values, positionals: string[]) => Promise<number>;
  /** The command parses its own arguments from its own table (bench: src/bench/args.ts). */
  readonly raw?: (cli: Cli, args: string[]) => Promise<number>;
}

/** A command that only prints a text (help, version): it loads nothing. */
interface PrintCommand extends CommandInfo {
  readonly print: (positionals: readonly string[]) => string;
}

type Command = WorkCommand | PrintCommand;

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
    run: async (cli, v, files) =>
      (await import('./fmt.ts')).formatFiles(
        cli,
        files,
        v.to as ScriptForm | undefined,
        v.out as string,
        (m) => new CliError(m),
      ),
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
    print: () => `iomux ${packageVersion()}`,
  },
  help: {
    summary: "show the commands, or a command's options",
    args: '[COMMAND]',
    minArgs: 0,
    maxArgs: 1,
    about: 'Exit status: 0 shown, 2 a usage error (an unknown command).',
    options: {},
    print: ([name]) => {
      if (name === undefined) return topHelp();
      const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
      if (!command) throw new CliError(`unknown command "${name}" (${commandList()})`);
      return commandHelp(name, command);
    },
  },
};

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const print = (text: string) => {
    io.stdout.write(`${text}\n`);
    return 0;
  };
  try {
    const [first, ...rest] = argv;
    if (first === undefined) {
      io.stderr.write(`${topHelp()}\n`);
      return 2;
    }
    if (first === '--help' || first === '-h') return print(topHelp());
    if (first === '--version' || first === '-V') return print(`iomux ${packageVersion()}`);
    if (first.startsWith('-'))
      throw new CliError(`unknown option "${first}" (options come after the command)`);
    const command = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
    if (!command) throw new CliError(`unknown command "${first}" (${commandList()})`);
    if ('raw' in command && command.raw) return await command.raw(await openCli(io), rest);
    const parsed = parseCommandLine(first, command, rest);
    if (parsed.values.help === true) return print(commandHelp(first, command));
    if ('print' in command) return print(command.print(parsed.positionals));
    return await command.run(await openCli(io), parsed.values, parsed.positionals);
  } catch (e) {
    if (e instanceof CliError) {
      io.stderr.write(`iomux: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

/** The commands' module, imported only now: a command that only prints never pays for it. */
async function openCli(io: CliIo): Promise<Cli> {
  const { Cli } = await import('./commands.ts');
  return new Cli(io);
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
