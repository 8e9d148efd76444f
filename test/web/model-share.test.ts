// Share links: the script and step survive the URL hash, plain and compressed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scriptTextOf } from '../../web/src/model/script.ts';
import { decodeShare, encodeShare } from '../../web/src/model/share.ts';
import { exampleDoc } from './model-helpers.ts';

test('a_script_and_step_round_trip_through_the_hash', async () => {
  const script = scriptTextOf(exampleDoc('04-lt-vs-et-partial-read.json'));
  const hash = await encodeShare({ script, step: 7 });
  assert.match(hash, /^script=z:[\w-]+&step=7$/, 'a long script is compressed');
  assert.deepEqual(await decodeShare(`#${hash}`), { script, step: 7 });
});

test('the_plain_base64url_form_is_read_and_utf8_survives', async () => {
  const script = '{"name": "é ✓ 𝄞", "steps": []}';
  const plain = Buffer.from(script, 'utf8').toString('base64url');
  assert.deepEqual(await decodeShare(`#script=${plain}&step=3`), { script, step: 3 });
  // A short script is not worth compressing: the plain form is written.
  const hash = await encodeShare({ script, step: 0 });
  assert.equal(hash, `script=${plain}&step=0`);
});

test('a_hash_without_a_script_or_with_garbage_gives_nothing_and_a_bad_step_gives_0', async () => {
  assert.equal(await decodeShare(''), null);
  assert.equal(await decodeShare('#step=4'), null);
  assert.equal(await decodeShare('#script=z:!!!!'), null);
  assert.equal(await decodeShare(`#script=${Buffer.from([0xff, 0xfe]).toString('base64url')}`), null);
  const ok = Buffer.from('{}').toString('base64url');
  assert.deepEqual(await decodeShare(`#script=${ok}&step=-2`), { script: '{}', step: 0 });
});
