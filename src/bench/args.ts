// The benchmark's options, declared once: this table drives parsing and --help (for
// `src/bench/main.ts` and for the CLI's `iomux bench`).

import {
  BACKENDS,
  type BackendName,
  type BenchOptions,
  MECHANISMS,
  type Mechanism,
  OBJECTS,
  type ObjectKind,
} from './types.ts';

const SUITES = ['libevent', 'op', 'memory', 'limits'] as const;

export function defaultOptions(): BenchOptions {
  return {
    quick: false,
    json: false,
    outDir: null,
    backends: [...BACKENDS],
    objects: [...OBJECTS],
    mechanisms: [...MECHANISMS],
    suites: [...SUITES],
    sizes: null,
    reps: null,
    memorySizes: [],
    progress: true,
    reportFrom: null,
    targets: false,
  };
}

interface OptionSpec {
  flag: string;
  arg?: string;
  help: string;
  apply(o: BenchOptions, value: string): void;
}

function list<T extends string>(what: string, allowed: readonly T[], value: string): T[] {
  const items = value.split(',').filter(Boolean);
  for (const x of items)
    if (!allowed.includes(x as T)) throw new Error(`--${what}: unknown ${x} (one of ${allowed.join(', ')})`);
  return items as T[];
}

function sizes(flag: string, value: string): number[] {
  return value.split(',').map((s) => {
    const n = Number(s.replace(/_/g, '').replace(/k$/i, '000').replace(/m$/i, '000000'));
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: not a size: ${s}`);
    return n;
  });
}

export const OPTIONS: OptionSpec[] = [
  {
    flag: '--quick',
    help: 'small sizes and few repetitions, memory at 100 000: the smoke test (under a minute)',
    apply: (o) => {
      o.quick = true;
      o.objects = ['pipe', 'eventfd'];
      o.suites = ['libevent', 'op', 'memory', 'limits'];
    },
  },
  {
    flag: '--json',
    help: 'one JSON record per measurement on stdout, instead of the report',
    apply: (o) => (o.json = true),
  },
  {
    flag: '--out',
    arg: 'DIR',
    help: 'write SVG charts, records.jsonl/.json and facts.json into DIR (re-print: --report DIR)',
    apply: (o, v) => (o.outDir = v),
  },
  {
    flag: '--backends',
    arg: 'LIST',
    help: `backends to run (${BACKENDS.join(',')})`,
    apply: (o, v) => (o.backends = list<BackendName>('backends', BACKENDS, v)),
  },
  {
    flag: '--objects',
    arg: 'LIST',
    help: `watched objects (${OBJECTS.join(',')}); the A sweep and the ops use the first`,
    apply: (o, v) => (o.objects = list<ObjectKind>('objects', OBJECTS, v)),
  },
  {
    flag: '--mechanisms',
    arg: 'LIST',
    help: `mechanisms (${MECHANISMS.join(',')})`,
    apply: (o, v) => (o.mechanisms = list<Mechanism>('mechanisms', MECHANISMS, v)),
  },
  {
    flag: '--suites',
    arg: 'LIST',
    help: `parts to run (${SUITES.join(',')})`,
    apply: (o, v) => (o.suites = list('suites', SUITES, v)),
  },
  {
    flag: '--sizes',
    arg: 'LIST',
    help: 'the N sweep, e.g. 16,256,4k,1m',
    apply: (o, v) => (o.sizes = sizes('--sizes', v)),
  },
  {
    flag: '--reps',
    arg: 'N',
    help: 'repetitions per point (the median and the fastest are reported)',
    apply: (o, v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error(`--reps: not a count: ${v}`);
      o.reps = n;
    },
  },
  {
    flag: '--memory',
    arg: 'LIST',
    help: 'sizes of the memory part (default 1m,10m in a full run, 100k in --quick)',
    apply: (o, v) => {
      o.memorySizes = sizes('--memory', v);
      if (!o.suites.includes('memory')) o.suites.push('memory');
    },
  },
  {
    flag: '--targets',
    help: "add the project's targets for the simulated kernel (ratios against C) to the report",
    apply: (o) => (o.targets = true),
  },
  { flag: '--no-progress', help: 'no progress line on stderr', apply: (o) => (o.progress = false) },
  {
    flag: '--report',
    arg: 'DIR',
    help: 'measure nothing: re-print the report of an earlier --out DIR (--targets applies)',
    apply: (o, v) => (o.reportFrom = v),
  },
];

/** Parse the benchmark's arguments (without the command name). Throws on a bad one. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions & { help: boolean } {
  const o = { ...defaultOptions(), help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      o.help = true;
      continue;
    }
    const [flag, inline] = a.includes('=')
      ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
      : [a, null];
    const spec = OPTIONS.find((s) => s.flag === flag);
    if (!spec) throw new Error(`unknown option ${a} (see --help)`);
    let value = '';
    if (spec.arg) {
      value = inline ?? argv[++i];
      if (value === undefined) throw new Error(`${flag} needs ${spec.arg}`);
    }
    spec.apply(o, value);
  }
  return o;
}

export function benchHelp(command = 'iomux bench'): string {
  const rows = OPTIONS.map((s) => [`${s.flag}${s.arg ? ` ${s.arg}` : ''}`, s.help]);
  const w = Math.max(...rows.map((r) => r[0].length));
  return [
    `usage: ${command} [options]`,
    '',
    'Measures select, poll and epoll on the simulated kernel and on the real kernel (through koffi',
    'in this process, and from a C program compiled at run time), and checks the seed claims.',
    '',
    ...rows.map(([f, h]) => `  ${f.padEnd(w)}  ${h}`),
  ].join('\n');
}
