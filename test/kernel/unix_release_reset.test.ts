// unix_release_sock's ECONNRESET for a connection-based AF_UNIX socket closed with messages still
// queued for it. Since "af_unix: Don't set -ECONNRESET for consumed OOB skb" (in 6.18) the head of
// the queue is skipped when nothing is left to read in it, and any skb after it counts, even an
// empty one. Every expectation was observed on Linux 6.18
// (test/conformance/unix-close-empty-head.json); the fuzzer found the two-empty-messages case
// (test/conformance/fuzz-20261204-1.json), where the model used to count unread bytes only.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AF, SOCK } from '../../src/abi/constants.ts';
import type { SimSyscalls } from '../../src/kernel/syscalls.ts';
import { errno, ok, withSim } from '../helpers.ts';

const { SOCK_SEQPACKET, SOCK_STREAM, SOCK_NONBLOCK } = SOCK;
const empty = new Uint8Array(0);

async function closedWith(sys: SimSyscalls, type: number, writes: Uint8Array[], reads = 0): Promise<number> {
  const [a, b] = ok(await sys.socketpair(AF.AF_UNIX, type | SOCK_NONBLOCK, 0)).fds;
  for (const w of writes) ok(await sys.write(b, w));
  for (let i = 0; i < reads; i++) ok(await sys.read(a, 1));
  ok(await sys.close(a));
  return b;
}

test('one_unread_empty_seqpacket_message_loses_nothing_at_close_the_peer_reads_eof', async () => {
  await withSim(async ({ sys }) => {
    const b = await closedWith(sys, SOCK_SEQPACKET, [empty]);
    assert.deepEqual(ok(await sys.read(b, 8)).ret, 0);
    assert.equal(errno(await sys.write(b, Uint8Array.of(1))), 'EPIPE');
  });
});

test('two_unread_empty_seqpacket_messages_give_the_peer_econnreset_once', async () => {
  await withSim(async ({ sys }) => {
    const b = await closedWith(sys, SOCK_SEQPACKET, [empty, empty]);
    assert.equal(errno(await sys.read(b, 8)), 'ECONNRESET');
    assert.equal(ok(await sys.read(b, 8)).ret, 0);
  });
});

test('an_empty_message_read_leaves_the_other_at_the_head_and_its_loss_is_silent', async () => {
  await withSim(async ({ sys }) => {
    const b = await closedWith(sys, SOCK_SEQPACKET, [empty, empty], 1);
    assert.equal(errno(await sys.write(b, Uint8Array.of(1))), 'EPIPE');
  });
});

test('an_empty_message_before_a_byte_gives_econnreset', async () => {
  await withSim(async ({ sys }) => {
    const b = await closedWith(sys, SOCK_SEQPACKET, [empty, Uint8Array.of(1)]);
    assert.equal(errno(await sys.write(b, Uint8Array.of(1))), 'ECONNRESET');
  });
});

test('a_stream_skb_half_read_at_the_head_still_has_bytes_so_its_loss_is_econnreset', async () => {
  await withSim(async ({ sys }) => {
    const b = await closedWith(sys, SOCK_STREAM, [Uint8Array.of(1, 2)], 1);
    assert.equal(errno(await sys.read(b, 8)), 'ECONNRESET');
  });
});
