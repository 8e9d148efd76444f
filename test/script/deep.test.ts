// Scripts nested thousands deep (issue 9 §6): a message naming the step, never a stack overflow.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findJsonError } from '../../src/script/jsonpos.ts';
import { parseScriptText, ScriptError } from '../../src/script/parse.ts';
import { show } from '../../src/script/values.ts';

const DEPTH = 5000;
const nested = (inner: string) => `${'['.repeat(DEPTH)}${inner}${']'.repeat(DEPTH)}`;

function malformed(text: string, want: RegExp): void {
  assert.throws(
    () => parseScriptText(text),
    (e) => e instanceof ScriptError && want.test(e.message),
  );
}

test('an_argument_nested_5000_deep_is_malformed_at_its_step', () => {
  malformed(
    `{"steps": [{"call": "pipe", "args": []}, {"call": "close", "args": [${nested('0')}]}]}`,
    /^step 1 \(close\): "args" nests lists and objects more than 64 deep$/,
  );
  malformed(
    `{"steps": [{"call": "close", "args": [3], "note": ${nested('')}}]}`,
    /^step 0 \(close\): "note" nests lists and objects more than 64 deep$/,
  );
  malformed(`{"notes": ${nested('')}, "steps": []}`, /^"notes" nests lists and objects more than 64 deep$/);
});

test('show_cuts_a_value_nested_5000_deep_short', () => {
  assert.equal(show(JSON.parse(nested('1'))), `${'['.repeat(57)}...`);
  assert.equal(show({ a: [1, 'x', null, true], b: { c: undefined } }), '{"a":[1,"x",null,true],"b":{}}');
});

test('a_document_nested_5000_deep_is_not_a_script', () => {
  malformed(nested(''), /^a script is a JSON object with "steps", got \[\[\[/);
});

test('invalid_json_nested_100000_deep_gives_its_line_and_column', () => {
  const deep = 100_000;
  malformed(`{"steps": ${'['.repeat(deep)}x`, new RegExp(`line 1, column ${11 + deep}: expected a value`));
  malformed(
    `{"steps":\n${'{"a":'.repeat(deep)}1}`,
    /line 2, column \d+: expected "," or "}", found end of input/,
  );
});

test('findJsonError_finds_the_first_offence', () => {
  const cases: [string, string | undefined][] = [
    ['{"a": [1, {"b": [true, null, "x"]}], "c": {}}', undefined],
    ['[[], {}, [[]]]', undefined],
    ['  "s"  ', undefined],
    ['{"a" 1}', '1:6 expected ":", found "1"'],
    ['{"a": 1,}', '1:9 expected a key in double quotes, found "}"'],
    ['[1, 2', '1:6 expected "," or "]", found end of input'],
    ['[1 2]', '1:4 expected "," or "]", found "2"'],
    ['{"a": [1}', '1:9 expected "," or "]", found "}"'],
    ['[] []', '1:4 expected end of input after the value, found "["'],
    ['', '1:1 expected a value, found end of input'],
    ['[\n  01]', '2:4 expected "," or "]", found "1"'],
    [
      '{"a":\n"x\ty"}',
      '2:3 expected a printable character (control characters must be escaped), found "\\t"',
    ],
  ];
  for (const [text, want] of cases) {
    const e = findJsonError(text);
    assert.equal(e && `${e.line}:${e.column} ${e.problem}`, want, text);
  }
});
