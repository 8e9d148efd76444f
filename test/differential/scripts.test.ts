// Every example (examples/*.json) and conformance script (test/conformance/*.json) gives the same
// results on the simulated kernel and on Linux (diffScript), step by step. The only differences
// allowed are the ones listed, with a reason, in test/conformance/known-differences.json
// (`[{"script", "step", "reason"}]`): differences are data, and an undocumented one fails. An
// entry that no longer differs fails too, so the list stays true.
//
// A script the simulated kernel stops with Unsupported is a TODO, not a failure: the model says
// what it does not model yet. Differences before that step still fail.
//
// Works with whatever scripts exist (and with none): the directories are read when the test runs.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { showView } from '../../src/fuzz/property.ts';
import { simBackend } from '../../src/kernel/index.ts';
import { linuxBackend, linuxUnavailableReason } from '../../src/linux/index.ts';
import { diffScript, parseScriptText, type StepDifference } from '../../src/script/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIRS = ['examples', 'test/conformance'];
const KNOWN_FILE = join(ROOT, 'test/conformance/known-differences.json');

interface Known {
  readonly script: string;
  /** The step that differs; absent: any step of the script. */
  readonly step?: number;
  readonly reason: string;
}

function scriptFiles(): string[] {
  const files: string[] = [];
  for (const dir of DIRS) {
    const abs = join(ROOT, dir);
    if (!existsSync(abs)) continue;
    for (const name of readdirSync(abs).sort()) {
      if (name.endsWith('.json') && name !== basename(KNOWN_FILE)) files.push(join(dir, name));
    }
  }
  return files;
}

function loadKnown(): Known[] {
  if (!existsSync(KNOWN_FILE)) return [];
  const doc: unknown = JSON.parse(readFileSync(KNOWN_FILE, 'utf8'));
  assert.ok(Array.isArray(doc), 'known-differences.json: expected a list of {"script", "step", "reason"}');
  return doc.map((e: unknown, i): Known => {
    const entry = e as Record<string, unknown>;
    const where = `known-differences.json [${i}]`;
    assert.ok(entry && typeof entry === 'object', `${where}: expected an object`);
    assert.equal(typeof entry.script, 'string', `${where}: "script" must be a file name`);
    assert.ok(
      entry.step === undefined || (Number.isInteger(entry.step) && (entry.step as number) >= 0),
      `${where}: "step" must be a step index`,
    );
    assert.ok(
      typeof entry.reason === 'string' && entry.reason.trim() !== '',
      `${where}: "reason" is required`,
    );
    return entry as unknown as Known;
  });
}

/** An entry names a script by its path from the repository root, from its directory, or by its file name. */
function names(entry: Known, file: string): boolean {
  const s = entry.script.replace(/^\.\//, '');
  return s === file || file.endsWith(`/${s}`) || s === basename(file, '.json');
}

function describeDifference(d: StepDifference): string {
  return `step ${d.step} (${d.call}):\n    linux: ${showView(d.b)}\n    sim:   ${showView(d.a)}`;
}

const linuxSkip = linuxUnavailableReason() ?? false;
const files = scriptFiles();
const known = loadKnown();

describe('examples and conformance scripts agree on the simulated kernel and Linux', {
  skip: linuxSkip,
  concurrency: 2,
}, () => {
  test('every_known_difference_names_an_existing_script', () => {
    const missing = known.filter((k) => !files.some((f) => names(k, f)));
    assert.deepEqual(
      missing.map((k) => k.script),
      [],
      'known-differences.json names scripts that do not exist',
    );
  });

  for (const file of files) {
    test(file, async (t) => {
      const script = parseScriptText(readFileSync(join(ROOT, file), 'utf8'));
      const report = await diffScript(script, simBackend, linuxBackend);
      const sf = report.a.failure;
      const cut = sf?.kind === 'unsupported' && sf.step !== null ? sf.step : Number.POSITIVE_INFINITY;
      const mine = known.filter((k) => names(k, file));
      const counted = report.differences.filter((d) => d.step < cut);
      const unexplained = counted.filter((d) => !mine.some((k) => k.step === undefined || k.step === d.step));
      for (const d of counted) {
        const k = mine.find((x) => x.step === undefined || x.step === d.step);
        if (k) t.diagnostic(`known difference at step ${d.step} (${d.call}): ${k.reason}`);
      }
      assert.equal(
        unexplained.length,
        0,
        `${relative(ROOT, join(ROOT, file))}: ${unexplained.length} undocumented difference(s) ` +
          `(sim vs linux; list a deliberate one in known-differences.json with a reason):\n  ` +
          unexplained.map(describeDifference).join('\n  '),
      );
      if (sf?.kind === 'unsupported') {
        t.todo(`the simulated kernel does not model step ${sf.step} (${sf.call}) yet: ${sf.message}`);
        return;
      }
      const stale = mine.filter((k) =>
        k.step === undefined
          ? report.differences.length === 0
          : !report.differences.some((d) => d.step === k.step),
      );
      assert.deepEqual(
        stale.map((k) => `step ${k.step}: ${k.reason}`),
        [],
        `${file}: listed in known-differences.json but no longer different: remove the entry`,
      );
    });
  }
});
