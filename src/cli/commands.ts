// The commands' work: reading scripts, running them on a backend, rendering what happened.
// cli.ts (the command table, parsing and help) imports this module only once a command runs,
// so that `iomux --help` loads nothing of the script module or the kernel.

import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
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
import { type BackendName, CliError, type CliIo } from './cli.ts';
import type { ScriptForm } from './fmt.ts';

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
    // The trace needs the simulated kernel's observers: loaded for this command only.
    return (await import('./trace.ts')).traceScript(this, path, loaded.script, json);
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
