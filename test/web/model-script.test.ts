// The editor's checks: a malformed step is marked over the step with the parser's message, a
// JSON error at its line and column; completion of calls, flag words and bound names.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundNames, CALL_NAMES, FLAG_WORDS } from '../../web/src/model/completion.ts';
import {
  checkScript,
  scriptDocOf,
  scriptTextOf,
  stepRanges,
  stepRangesOf,
} from '../../web/src/model/script.ts';
import { exampleDoc } from './model-helpers.ts';

test('every_example_parses_and_its_text_gives_back_the_document', () => {
  for (const f of ['04-lt-vs-et-partial-read.json', '10-threads-most-recent-waiter.json']) {
    const doc = exampleDoc(f);
    const text = scriptTextOf(doc);
    assert.equal(checkScript(text), null);
    assert.deepEqual(scriptDocOf(text), doc);
    assert.equal(stepRangesOf(text).length, (doc.steps as unknown[]).length);
  }
});

test('the_editor_shows_the_text_form_and_still_reads_json', () => {
  const doc = exampleDoc('04-lt-vs-et-partial-read.json');
  const text = scriptTextOf(doc);
  assert.ok(!text.trimStart().startsWith('{'), 'one call per line, not JSON');
  assert.match(text, /^ep = epoll_create1\(0\)/m);
  assert.deepEqual(scriptDocOf(JSON.stringify(doc)), doc);
});

test('a_bad_step_in_the_text_form_is_marked_on_its_line', () => {
  const text = '[r, w] = pipe()\nclose($nowhere)\n';
  const p = checkScript(text);
  assert.ok(p);
  assert.equal(p.step, 1);
  assert.equal(text.slice(p.from, p.to), 'close($nowhere)');
});

test('step_ranges_cover_each_step_exactly_even_with_brackets_in_strings', () => {
  const text =
    '{"name": "a [tricky] {one}", "steps": [\n {"call": "pipe", "bind": ["r", "w"]},\n {"call": "write", "args": ["$w", "]}"]}\n]}';
  const ranges = stepRanges(text);
  assert.deepEqual(
    ranges.map((r) => JSON.parse(text.slice(r.from, r.to))),
    [
      { call: 'pipe', bind: ['r', 'w'] },
      { call: 'write', args: ['$w', ']}'] },
    ],
  );
});

test('a_bad_step_is_marked_over_that_step_with_the_parsers_message', () => {
  const text =
    '{"steps": [\n  {"call": "pipe", "bind": ["r", "w"]},\n  {"call": "epoll_wiat", "args": []}\n]}';
  const p = checkScript(text)!;
  assert.equal(p.step, 1);
  assert.match(p.message, /^step 1\b.*epoll_wiat/);
  assert.equal(text.slice(p.from, p.to), '{"call": "epoll_wiat", "args": []}');
});

test('a_json_syntax_error_is_marked_at_its_line_and_column', () => {
  const text = '{"steps": [\n  {"call": "pipe",, "bind": ["r", "w"]}\n]}';
  const p = checkScript(text)!;
  assert.match(p.message, /not valid JSON: line 2, column 19/);
  assert.equal(text[p.from], ',');
  assert.equal(p.step, undefined);
});

test('completion_knows_calls_flag_words_and_the_names_bound', () => {
  for (const c of ['epoll_ctl', 'epoll_wait', 'pipe2', 'select', 'poll', 'join', 'eventfd'])
    assert.ok(CALL_NAMES.includes(c), c);
  for (const w of ['EPOLLIN', 'EPOLLET', 'EPOLL_CTL_ADD', 'O_NONBLOCK', 'POLLIN', 'EFD_SEMAPHORE'])
    assert.ok(FLAG_WORDS.includes(w), w);
  assert.deepEqual(
    boundNames('{"steps": [{"call": "pipe", "bind": ["r", "w"]}, {"call": "epoll_create1", "bind": "ep"}]}'),
    ['$ep', '$r', '$w'],
  );
});

test('step_ranges_of_text_being_typed_are_empty_rather_than_an_error', () => {
  for (const text of ['[r, w', '[r, w] = pipe2(O_NONBLOCK)\nwrite($w, "hi"', 'epoll_wiat($r, 8, 0)\n'])
    assert.ok(Array.isArray(stepRangesOf(text)));
});
