// 64-bit epoll data in scripts (format v1.1, "Arguments"): an integer below 2^53 or a decimal string
// up to 2^64 − 1; a JSON integer at or above 2^53 is malformed; results write a decimal string from
// 2^53 up; expects compare by value; the text form round-trips it.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { simBackend } from '../../src/kernel/index.ts';
import { matches } from '../../src/script/compare.ts';
import { parseScript, parseScriptText, ScriptError } from '../../src/script/parse.ts';
import { exitStatus, runScript } from '../../src/script/run.ts';
import { formatScriptTextForm, parseScriptTextForm } from '../../src/script/text.ts';
import type { Json } from '../../src/script/values.ts';
import { FakeBackend } from './fake-backend.ts';

const pipe = { call: 'pipe2', args: ['O_NONBLOCK'], bind: ['r', 'w'] };
const ep = { call: 'epoll_create1', args: [0], bind: 'ep' };
const add = (data: Json) => ({
  call: 'epoll_ctl',
  args: ['$ep', 'EPOLL_CTL_ADD', '$w', { events: 'EPOLLOUT', data }],
});
const wait = { call: 'epoll_wait', args: ['$ep', 4, 0] };

function malformed(text: string): ScriptError {
  try {
    parseScriptText(text);
  } catch (e) {
    if (e instanceof ScriptError) return e;
    throw e;
  }
  assert.fail('the script parsed');
}

/** Each value as written, the value the API gets, and how a result writes it. */
const VALUES: [Json, number | bigint, number | string][] = [
  [2 ** 53 - 1, 2 ** 53 - 1, 2 ** 53 - 1],
  ['9007199254740991', 2 ** 53 - 1, 2 ** 53 - 1],
  ['9007199254740992', 2n ** 53n, '9007199254740992'],
  ['9223372036854775808', 2n ** 63n, '9223372036854775808'],
  ['18446744073709551615', 2n ** 64n - 1n, '18446744073709551615'],
];

describe('64-bit epoll data', () => {
  test('data below 2^53 is a number and from 2^53 up a bigint, as the API carries it', () => {
    for (const [written, api] of VALUES) {
      const s = parseScript({ steps: [pipe, ep, add(written)] });
      assert.deepEqual(
        s.steps[2].args[3],
        { kind: 'event', value: { events: 4, data: api } },
        String(written),
      );
    }
  });

  test('a JSON integer at 2^53 is malformed, named with its step, because JSON.parse rounds it', () => {
    const steps = (data: string) =>
      `{"steps": [${JSON.stringify(pipe)}, ${JSON.stringify(ep)}, {"call": "epoll_ctl", "args": ["$ep", "EPOLL_CTL_ADD", "$w", {"events": "EPOLLOUT", "data": ${data}}]}]}`;
    for (const big of ['9007199254740992', '9007199254740993', '18446744073709551615']) {
      const e = malformed(steps(big));
      assert.equal(e.step, 2);
      assert.match(
        e.message,
        /^step 2 \(epoll_ctl\): args\[3\] \(event\): "data" \d+ is at or above 2\^53, .*decimal string/,
      );
    }
    assert.equal(parseScriptText(steps('9007199254740991')).steps.length, 3);
  });

  test('"18446744073709551616" (2^64) is malformed: it does not fit in 64 bits', () => {
    const e = malformed(JSON.stringify({ steps: [pipe, ep, add('18446744073709551616')] }));
    assert.equal(e.step, 2);
    assert.match(e.message, /"data" 18446744073709551616 does not fit in 64 bits/);
    for (const bad of ['-1', '0x10', '1e3', ' 7', '007', -1, 1.5]) {
      assert.match(
        malformed(JSON.stringify({ steps: [pipe, ep, add(bad)] })).message,
        /"data" must be an integer from 0 to 2\^53-1 or a decimal string up to 2\^64-1/,
        String(bad),
      );
    }
  });

  test('an expected data at or above 2^53 is checked the same way', () => {
    const e = malformed(
      JSON.stringify({
        steps: [
          pipe,
          ep,
          add(1),
          { ...wait, expect: { events: [{ events: 'EPOLLOUT', data: '18446744073709551616' }] } },
        ],
      }),
    );
    assert.equal(e.step, 3);
    assert.match(e.message, /expect\.events: "data" 18446744073709551616 does not fit in 64 bits/);
  });

  for (const [name, backend] of [
    ['the fake backend', () => new FakeBackend()],
    ['the simulated kernel', () => simBackend],
  ] as const) {
    test(`results write data from 2^53 up as a decimal string, and expects match by value (${name})`, async () => {
      for (const [written, , shown] of VALUES) {
        const report = await runScript(
          parseScript({
            steps: [
              pipe,
              ep,
              add(written),
              // The same value written the other way round: a string for a number, and back.
              { ...wait, expect: { ret: 1, events: [{ events: 'EPOLLOUT', data: String(shown) }] } },
              { ...wait, expect: { ret: 1, events: [{ events: 'EPOLLOUT', data: shown }] } },
            ],
          }),
          backend(),
        );
        assert.equal(report.failure, undefined, String(written));
        assert.deepEqual(report.outcomes[3].result, {
          ret: 1,
          events: [{ events: 'EPOLLOUT', data: shown }],
        });
        assert.equal(exitStatus(report), 0, `${written}: ${JSON.stringify(report.outcomes[3])}`);
      }
    });
  }

  test('data compares by value: 2^64-1 differs from 2^64-2, and 7 equals "7"', () => {
    const got = { ret: 1, events: [{ events: 'EPOLLIN', data: '18446744073709551615' }] };
    assert.ok(!matches({ events: [{ events: 'EPOLLIN', data: '18446744073709551614' }] }, got, 'events'));
    assert.ok(matches({ events: [{ events: 'EPOLLIN', data: '18446744073709551615' }] }, got, 'events'));
    assert.ok(
      matches(
        { events: [{ events: 'EPOLLIN', data: '7' }] },
        { events: [{ events: 'EPOLLIN', data: 7 }] },
        'events',
      ),
    );
    assert.ok(
      !matches(
        { events: [{ events: 'EPOLLIN', data: 8 }] },
        { events: [{ events: 'EPOLLIN', data: 7 }] },
        'events',
      ),
    );
  });

  test('the text form round-trips data at 2^53-1, 2^53, 2^63 and 2^64-1', () => {
    const doc = {
      steps: [
        pipe,
        ep,
        add(2 ** 53 - 1),
        add('9007199254740992'),
        add('9223372036854775808'),
        { ...wait, expect: { ret: 1, events: [{ events: 'EPOLLOUT', data: '18446744073709551615' }] } },
      ],
    };
    const text = formatScriptTextForm(doc);
    assert.match(text, /data: "18446744073709551615"/);
    assert.match(text, /data: 9007199254740991\}/);
    assert.deepEqual(parseScriptTextForm(text), doc);
  });
});
