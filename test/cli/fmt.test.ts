// The text form on the command line: `iomux fmt` converts, and run, diff, record and trace read
// `.iomux` files as they read JSON ones.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { simBackend } from '../../src/kernel/index.ts';
import { parseScriptTextForm } from '../../src/script/text.ts';
import { cli, repo } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'iomux-fmt-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const TEXT = [
  'name: a pipe through epoll',
  '',
  '[r, w] = pipe2(O_NONBLOCK)',
  'ep = epoll_create1(0)',
  'epoll_ctl($ep, EPOLL_CTL_ADD, $r, {events: EPOLLIN, data: 7}) -> 0',
  'write($w, "hello") -> 5',
  'epoll_wait($ep, 8, 0) -> {ret: 1, events: [{events: EPOLLIN, data: 7}]}',
  'read($r, 16) -> {ret: 5, data: "hello"}',
  '',
].join('\n');
const DOC = {
  name: 'a pipe through epoll',
  steps: [
    { call: 'pipe2', args: ['O_NONBLOCK'], bind: ['r', 'w'] },
    { call: 'epoll_create1', args: [0], bind: 'ep' },
    {
      call: 'epoll_ctl',
      args: ['$ep', 'EPOLL_CTL_ADD', '$r', { events: 'EPOLLIN', data: 7 }],
      expect: { ret: 0 },
    },
    { call: 'write', args: ['$w', 'hello'], expect: { ret: 5 } },
    { call: 'epoll_wait', args: ['$ep', 8, 0], expect: { ret: 1, events: [{ events: 'EPOLLIN', data: 7 }] } },
    { call: 'read', args: ['$r', 16], expect: { ret: 5, data: 'hello' } },
  ],
};
const textScript = file('pipe.iomux', TEXT);
const jsonScript = file('pipe.json', JSON.stringify(DOC));
const sim = { backends: { sim: simBackend } };

describe('cli: the text form', () => {
  test('fmt_converts_json_to_text_and_back', async () => {
    const r = await cli(['fmt', jsonScript]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, TEXT);
    const back = await cli(['fmt', textScript]);
    assert.equal(back.status, 0, back.stderr);
    assert.deepStrictEqual(JSON.parse(back.stdout), DOC);
    assert.match(back.stdout, /^ {4}\{"call": "pipe2", "args": \["O_NONBLOCK"\], "bind": \["r", "w"\]\},$/m);
    // --to names the form, whatever the input's.
    assert.equal((await cli(['fmt', '--to', 'text', textScript])).stdout, TEXT);
    // Standard input: its form is seen from its first character.
    assert.equal((await cli(['fmt', '-'], { stdin: JSON.stringify(DOC) })).stdout, TEXT);
  });

  test('fmt_writes_files_and_directories', async () => {
    const out = join(dir, 'one.iomux');
    const r = await cli(['fmt', jsonScript, '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(out, 'utf8'), TEXT);
    assert.match(r.stderr, /pipe\.json → .*one\.iomux \(text form, 6 steps\)/);

    const examples = ['04-lt-vs-et-partial-read.json', '10-threads-most-recent-waiter.json'];
    const outDir = join(dir, 'texts');
    const many = await cli(['fmt', ...examples.map((e) => join(repo, 'examples', e)), '-o', outDir]);
    assert.equal(many.status, 0, many.stderr);
    assert.deepEqual(readdirSync(outDir).sort(), [
      '04-lt-vs-et-partial-read.iomux',
      '10-threads-most-recent-waiter.iomux',
    ]);
    for (const e of examples) {
      const text = readFileSync(join(outDir, e.replace('.json', '.iomux')), 'utf8');
      const original = JSON.parse(readFileSync(join(repo, 'examples', e), 'utf8'));
      assert.deepStrictEqual(parseScriptTextForm(text), original);
    }
  });

  test('fmt_refuses_malformed_scripts_and_bad_usage', async () => {
    const broken = file('broken.iomux', '[r, w] = pipe2(O_NONBLOCK)\nwrite($w, "x", 3)\n');
    const r = await cli(['fmt', broken]);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /malformed .*broken\.iomux: line 2, column 1: step 1 \(write\): write takes 2 arguments/,
    );
    const syntax = await cli(['fmt', file('syntax.iomux', 'epoll_create1(0\n')]);
    assert.equal(syntax.status, 2);
    assert.match(
      syntax.stderr,
      /line 1, column 16: step 0 \(epoll_create1\): expected "," or "\)" in epoll_create1 \("\(" at line 1, column 14 is not closed\)/,
    );
    const several = await cli(['fmt', jsonScript, textScript]);
    assert.equal(several.status, 2);
    assert.match(several.stderr, /^iomux: fmt: several scripts need --out DIR/);
    assert.equal((await cli(['fmt', '--to', 'yaml', jsonScript])).status, 2);
    assert.equal((await cli(['fmt'])).status, 2);
    const help = await cli(['fmt', '--help']);
    assert.match(help.stdout, /^Usage: iomux fmt SCRIPT\.\.\. \[options\]/);
    assert.match(help.stdout, /--to FORM +the form to write: json or text/);
  });

  test('run_reads_the_text_form', async () => {
    const r = await cli(['run', '--json', textScript], sim);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 6);
    assert.deepEqual(JSON.parse(lines[5]), { step: 5, call: 'read', result: { ret: 5, data: 'hello' } });
    // A mismatch and a malformed step, as for JSON.
    const wrong = file('wrong.iomux', TEXT.replace('-> 5', '-> 4'));
    assert.equal((await cli(['run', wrong], sim)).status, 1);
    const malformed = await cli(['run', file('bad.iomux', 'frob()\n')], sim);
    assert.equal(malformed.status, 2);
    assert.match(malformed.stderr, /line 1, column 1: step 0: unknown call "frob"/);
    // trace and diff read it too.
    assert.equal((await cli(['trace', textScript])).status, 0);
    assert.equal((await cli(['diff', textScript])).status, 0);
  });

  test('record_writes_the_form_it_read', async () => {
    const noExpects = file('bare.iomux', TEXT.replace(/ -> .*$/gm, ''));
    const out = join(dir, 'recorded.iomux');
    const r = await cli(['record', noExpects, '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    const recorded = parseScriptTextForm(readFileSync(out, 'utf8'));
    assert.deepEqual((recorded.steps as { expect?: unknown }[])[3].expect, { ret: 5 });
  });
});
