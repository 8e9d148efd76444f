import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { scriptArbitrary } from '../../src/fuzz/generate.ts';
import { simBackend } from '../../src/kernel/index.ts';
import { parseScript } from '../../src/script/parse.ts';
import { formatScriptJson } from '../../src/script/record.ts';
import { exitStatus, runScript } from '../../src/script/run.ts';
import {
  formatScriptTextForm,
  parseScriptSource,
  parseScriptTextForm,
  scriptFormatOf,
  TextFormError,
  textFormStepLines,
} from '../../src/script/text.ts';
import type { Json, JsonObject } from '../../src/script/values.ts';

const ROOT = new URL('../../', import.meta.url);

function scriptFiles(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  for (const dir of ['examples', 'test/conformance']) {
    for (const f of readdirSync(new URL(`${dir}/`, ROOT)).sort()) {
      if (!f.endsWith('.json') || f === 'known-differences.json') continue;
      out.push({ file: `${dir}/${f}`, text: readFileSync(new URL(`${dir}/${f}`, ROOT), 'utf8') });
    }
  }
  return out;
}

/** The TextFormError a text gives; fails the test if it parses. */
function bad(text: string): TextFormError {
  try {
    parseScriptSource('x.iomux', text);
  } catch (e) {
    if (e instanceof TextFormError) return e;
    throw e;
  }
  assert.fail('the text parsed');
}

describe('script text form', () => {
  test('every_example_and_conformance_script_round_trips', () => {
    const files = scriptFiles();
    assert.ok(files.length > 90, `found ${files.length} scripts`);
    for (const { file, text } of files) {
      const doc = JSON.parse(text) as JsonObject;
      const form = formatScriptTextForm(doc);
      const back = parseScriptTextForm(form);
      assert.deepStrictEqual(back, doc, `${file}: JSON → text → JSON`);
      assert.equal(formatScriptTextForm(back), form, `${file}: text → JSON → text`);
      // One line per step after the headers, and each step's line is where it is.
      const lines = textFormStepLines(form);
      assert.equal(lines.length, (doc.steps as Json[]).length);
      const call = (doc.steps as JsonObject[])[0].call as string;
      assert.match(form.split('\n')[lines[0] - 1], new RegExp(`\\b${call}\\b`));
    }
  });

  test('the_worked_example_reads_as_documented', () => {
    const text = [
      '# a comment line is dropped',
      'name: epoll LT reports unread data again',
      'notes: a long note',
      '  that goes on',
      'version:: 2',
      '',
      '[r, w] = pipe2(O_NONBLOCK)',
      'ep = epoll_create1(0)',
      'epoll_ctl($ep, EPOLL_CTL_ADD, $r, {events: EPOLLIN, data: 7}) -> 0',
      '@t1 epoll_wait($ep, 8, -1)',
      'write($w, "hello") -> 5  # wakes t1',
      'join(t1) -> {ret: 1,',
      '  events: [{events: EPOLLIN, data: 7}]}  # the first',
      'read($r, 1) -> {ret: 1, data: h}',
      'write($r, "x") -> EBADF',
      'epoll_wait($ep, 8, 0) -> {ret: 1, events: [{events: EPOLLIN, data: 7}]} unordered',
      'write($w, {fill: "ab", len: 3}) -> 3',
      'write($w, {u64: "18446744073709551614"}) -> 8',
      'epoll_ctl($ep, EPOLL_CTL_MOD, $r, {events: "0x80000000", data: 9}) comment="free"',
      'select(max+1, [$r], null, [], {sec: 0, usec: 0})',
      '[x] = dup($r)',
    ].join('\n');
    const doc = parseScriptTextForm(text);
    assert.deepStrictEqual(doc, {
      name: 'epoll LT reports unread data again',
      notes: 'a long note that goes on',
      version: 2,
      steps: [
        { call: 'pipe2', args: ['O_NONBLOCK'], bind: ['r', 'w'] },
        { call: 'epoll_create1', args: [0], bind: 'ep' },
        {
          call: 'epoll_ctl',
          args: ['$ep', 'EPOLL_CTL_ADD', '$r', { events: 'EPOLLIN', data: 7 }],
          expect: { ret: 0 },
        },
        { call: 'epoll_wait', args: ['$ep', 8, -1], thread: 't1' },
        { call: 'write', args: ['$w', 'hello'], expect: { ret: 5 }, note: 'wakes t1' },
        {
          call: 'join',
          args: ['t1'],
          expect: { ret: 1, events: [{ events: 'EPOLLIN', data: 7 }] },
          note: 'the first',
        },
        { call: 'read', args: ['$r', 1], expect: { ret: 1, data: 'h' } },
        { call: 'write', args: ['$r', 'x'], expect: { errno: 'EBADF' } },
        {
          call: 'epoll_wait',
          args: ['$ep', 8, 0],
          expect: { ret: 1, events: [{ events: 'EPOLLIN', data: 7 }] },
          unordered: true,
        },
        { call: 'write', args: ['$w', { fill: 'ab', len: 3 }], expect: { ret: 3 } },
        { call: 'write', args: ['$w', { u64: '18446744073709551614' }], expect: { ret: 8 } },
        {
          call: 'epoll_ctl',
          args: ['$ep', 'EPOLL_CTL_MOD', '$r', { events: '0x80000000', data: 9 }],
          comment: 'free',
        },
        { call: 'select', args: ['max+1', ['$r'], null, [], { sec: 0, usec: 0 }] },
        { call: 'dup', args: ['$r'], bind: ['x'] },
      ],
    });
    // The checker accepts it, and the formatter gives back the canonical text of the same document.
    parseScript(doc);
    assert.deepStrictEqual(parseScriptTextForm(formatScriptTextForm(doc)), doc);
    assert.deepStrictEqual(textFormStepLines(text).slice(0, 6), [7, 8, 9, 10, 11, 12]);
  });

  test('strings_that_read_as_numbers_or_keywords_stay_strings', () => {
    const doc: JsonObject = {
      name: ' padded ',
      weird: 'two\nlines',
      empty: '',
      n: 5,
      steps: [
        {
          call: 'fcntl',
          args: [
            '0',
            0,
            '0x10',
            -0,
            1e21,
            'null',
            null,
            true,
            'true',
            '$x',
            '',
            'a b',
            '-1',
            'é\u0000\u00ff',
          ],
          expect: { ret: 'ep' },
          note: '  spaced',
          unordered: false,
          'odd key': [],
          thread: 'not a name!',
          bind: 7,
        },
        { call: 'pipe' },
        { call: 'pipe', args: 3, expect: 'EAGAIN' },
        { call: 'close', args: [{ __proto__: 1, 'a-b': { '': [] } }], expect: { ret: 1.5 } },
      ],
    };
    const text = formatScriptTextForm(doc);
    assert.deepStrictEqual(parseScriptTextForm(text), doc);
    assert.equal(formatScriptTextForm(parseScriptTextForm(text)), text);
  });

  test('generated_scripts_round_trip', () => {
    // The differential fuzzer's own scripts: every call, payload form, thread and binding it makes.
    fc.assert(
      fc.property(scriptArbitrary(), (doc) => {
        const text = formatScriptTextForm(doc);
        assert.deepStrictEqual(parseScriptTextForm(text), doc);
        assert.equal(formatScriptTextForm(parseScriptTextForm(text)), text);
      }),
      { numRuns: 60, seed: 12 },
    );
  });

  test('any_json_values_in_steps_round_trip', () => {
    // Any UTF-16 text, lone surrogates and control characters included, where strings may be.
    const text = fc.string({ unit: 'binary' });
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue({ maxDepth: 2 }),
        text,
        fc.constantFrom('0', '-1', '0x1F', 'null', 'true', '$ep', 'a b', 'EPOLLIN|EPOLLET', '#', '->', ''),
        fc.array(tie('v'), { maxLength: 3 }),
        fc.dictionary(fc.oneof(text, fc.constantFrom('events', 'data', '__proto__')), tie('v'), {
          maxKeys: 3,
        }),
      ),
    })).v;
    const step = fc.record(
      {
        call: fc.constantFrom('write', 'epoll_ctl', 'join', 'select', 'x_y'),
        args: fc.array(value, { maxLength: 5 }),
        bind: fc.oneof(fc.constantFrom('a', 'b.c'), fc.array(fc.constantFrom('r', 'w')), fc.jsonValue()),
        thread: fc.oneof(fc.constant('t1'), text),
        expect: fc.oneof(
          value,
          fc.record({ ret: fc.integer() }),
          fc.record({ errno: fc.constantFrom('EAGAIN', 'E2BIG') }),
        ),
        unordered: fc.jsonValue({ maxDepth: 1 }),
        note: fc.oneof(text, fc.lorem()),
        comment: value,
      },
      { requiredKeys: ['call'] },
    );
    const doc = fc.record(
      {
        name: text,
        notes: fc.lorem({ maxCount: 40 }),
        extra: value,
        steps: fc.array(step, { maxLength: 6 }),
      },
      { requiredKeys: ['steps'] },
    );
    fc.assert(
      fc.property(doc, (d) => {
        const json = JSON.parse(JSON.stringify(d)) as JsonObject;
        const text = formatScriptTextForm(json);
        assert.deepStrictEqual(parseScriptTextForm(text), json);
        assert.equal(formatScriptTextForm(parseScriptTextForm(text)), text);
      }),
      { numRuns: 300, seed: 12 },
    );
  });

  test('malformed_lines_say_where_and_which_step', () => {
    const pipe = '[r, w] = pipe2(O_NONBLOCK)\n';
    let e = bad(`${pipe}epoll_ctl($ep, EPOLL_CTL_ADD $r, 0)\n`);
    assert.equal(e.line, 2);
    assert.equal(e.column, 30);
    assert.equal(e.step, 1);
    assert.match(e.message, /^line 2, column 30: step 1 \(epoll_ctl\): expected "," or "\)"/);

    e = bad(`${pipe}read($r, 4) -> {ret: 4, data: "abc}\n`);
    assert.match(e.message, /^line 2, column 31: step 1 \(read\): a string is not closed on its line/);

    e = bad(`${pipe}read($r, 4) => 4\n`);
    assert.match(e.message, /^line 2, column 13: step 1 \(read\): expected "->", "unordered", key=value/);

    e = bad(`${pipe}read($r, 4) -> [1]\n`);
    assert.match(e.message, /line 2, column 16: step 1 \(read\): expected a result after "->"/);

    e = bad(`${pipe}@ read($r, 4)\n`);
    assert.match(e.message, /^line 2, column 2: step 1: expected a thread name/);

    e = bad(`${pipe}write($w, 12abc)\n`);
    assert.match(e.message, /line 2, column 11: step 1 \(write\): "12abc" is neither a number nor a word/);

    e = bad(`${pipe}read($r, 4) -> 4 -> 5\n`);
    assert.match(e.message, /step 1 \(read\): "expect" is given twice/);

    e = bad('name: a\nname: b\n');
    assert.match(e.message, /^line 2, column 1: header "name" is given twice/);
    assert.equal(e.step, undefined);

    // What the checker finds is reported at the step's line.
    e = bad(`${pipe}\n# comment\nepoll_ctl($ep, EPOLL_CTL_ADD, $r, 0)\n`);
    assert.equal(e.line, 4);
    assert.match(
      e.message,
      /^line 4, column 11: step 1 \(epoll_ctl\): args\[0\] \(epfd\): \$ep is not bound/,
    );
    // At the argument, or the expectation, the checker names.
    e = bad(`${pipe}write($w,\n  "x", 3)\n`);
    assert.match(e.message, /^line 2, column 1: step 1 \(write\): write takes 2 arguments/);
    e = bad(`${pipe}epoll_ctl(3, EPOLL_CTL_ADD,\n  $r, {events: EPOLLINN})\n`);
    assert.match(e.message, /^line 3, column 7: step 1 \(epoll_ctl\): args\[3\] \(event\): .*EPOLLINN/);
    e = bad(`${pipe}read($r, 4) -> {ret: 4, dta: "x"}\n`);
    assert.match(e.message, /^line 2, column 16: step 1 \(read\): expect/);
    e = bad(`${pipe}eppoll_wait($r, 1, 0)\n`);
    assert.match(
      e.message,
      /^line 2, column 1: step 1: unknown call "eppoll_wait" \(did you mean "epoll_wait"\?\)/,
    );
  });

  test('format_of_a_file', () => {
    assert.equal(scriptFormatOf('a.iomux', '{'), 'text');
    assert.equal(scriptFormatOf('a.json', 'pipe()'), 'json');
    assert.equal(scriptFormatOf('-', '  {"steps": []}'), 'json');
    assert.equal(scriptFormatOf('-', 'pipe()'), 'text');
    assert.equal(parseScriptSource('-', '{"steps": [{"call": "pipe", "args": []}]}').steps.length, 1);
    assert.equal(parseScriptSource('-', 'x = epoll_create1(0)\n').steps[0].bind[0], 'x');
  });
});

describe('docs/script-format.md', () => {
  const doc = readFileSync(new URL('docs/script-format.md', ROOT), 'utf8');
  const section = doc.slice(doc.indexOf('## A worked example in both forms'));
  const blocks = [...section.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], body: m[2] }));

  test('the_worked_example_is_the_same_script_in_both_forms', async () => {
    const text = blocks[0].body;
    const json = blocks.find((b) => b.lang === 'json')?.body ?? '';
    assert.deepStrictEqual(parseScriptTextForm(text), JSON.parse(json));
    assert.equal(formatScriptTextForm(JSON.parse(json)), text);
    assert.equal(formatScriptJson(parseScriptTextForm(text)), json);
    const report = await runScript(parseScriptSource('example.iomux', text), simBackend);
    assert.equal(exitStatus(report), 0);
  });

  test('the_text_form_sample_parses', () => {
    const intro = doc.slice(doc.indexOf('## The text form'));
    const sample = /```\n([\s\S]*?)```/.exec(intro)?.[1] ?? '';
    assert.equal(parseScriptSource('x.iomux', sample).steps.length, 5);
  });
});
