// epoll_data_t carries all 64 bits (issue 10): a number below 2^53, a bigint from 2^53 up, on both
// backends alike, each value coming back in its one representation.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EPOLL, EPOLL_CTL } from '../../src/abi/constants.ts';
import { type EpollData, epollData, type Syscalls, Unsupported } from '../../src/api/syscalls.ts';
import { snapshotEventpolls } from '../../src/kernel/eventpoll/snapshot.ts';
import { decodeEpollEvents, encodeEpollEvent } from '../../src/linux/layout.ts';
import { ok, withSim } from '../helpers.ts';
import { inProcess } from '../linux/helpers.ts';

/** Each value given to epoll_ctl, and what epoll_wait must give back. */
const ROUND_TRIPS: [EpollData, EpollData][] = [
  [0, 0],
  [2 ** 53 - 1, 2 ** 53 - 1],
  [2n ** 53n, 2n ** 53n],
  [2n ** 63n, 2n ** 63n],
  [2n ** 64n - 1n, 2n ** 64n - 1n],
  // A bigint that fits a number comes back as the number.
  [5n, 5],
  [2n ** 53n - 1n, 2 ** 53 - 1],
];

async function roundTrips(s: Syscalls, call: <T>(p: Promise<T>) => Promise<T>): Promise<void> {
  const ep = ok(await call(s.epoll_create1(0))).ret;
  const fds: number[] = [];
  for (const [given, want] of ROUND_TRIPS) {
    const efd = ok(await call(s.eventfd(1, 0))).ret; // readable: counter 1
    fds.push(efd);
    ok(await call(s.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, efd, { events: EPOLL.EPOLLIN, data: given })));
    const got = ok(await call(s.epoll_wait(ep, 16, 0))).events;
    assert.equal(got.length, 1, `data ${given}`);
    assert.equal(got[0].data, want, `data ${given}: the same value, in its one representation`);
    assert.equal(typeof got[0].data, typeof want);
    ok(await call(s.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_DEL, efd, null)));
  }
  for (const fd of [...fds, ep]) ok(await call(s.close(fd)));
}

async function refusals(s: Syscalls, call: <T>(p: Promise<T>) => Promise<T>): Promise<void> {
  const ep = ok(await call(s.epoll_create1(0))).ret;
  const efd = ok(await call(s.eventfd(0, 0))).ret;
  for (const data of [-1, 2 ** 53, 1.5, -1n, 2n ** 64n]) {
    // A function: a backend may throw Unsupported before it makes a promise.
    await assert.rejects(
      async () => call(s.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, efd, { events: EPOLL.EPOLLIN, data })),
      (e: unknown) => e instanceof Unsupported && /event\.data .*not a u64/.test(e.message),
      `data ${data}`,
    );
  }
  ok(await call(s.close(efd)));
  ok(await call(s.close(ep)));
}

test('epoll data round-trips all 64 bits on the simulated kernel', async () => {
  await withSim(({ sys }) => roundTrips(sys, (p) => p));
});

test('epoll data round-trips all 64 bits on linux', async () => {
  await inProcess(({ main, call }) => roundTrips(main, call));
});

test('epoll data a u64 cannot hold, or a number past 2^53, is unsupported on both backends', async () => {
  await withSim(({ sys }) => refusals(sys, (p) => p));
  await inProcess(({ main, call }) => refusals(main, call));
});

test('the epoll_event layout writes and reads data as a little-endian u64 at offset 4', () => {
  const buf = encodeEpollEvent({ events: EPOLL.EPOLLOUT, data: 2n ** 64n - 2n });
  assert.deepEqual([...buf], [4, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  assert.deepEqual(decodeEpollEvents(buf, 1), [{ events: EPOLL.EPOLLOUT, data: 2n ** 64n - 2n }]);
  const small = encodeEpollEvent({ events: EPOLL.EPOLLIN, data: 7n });
  assert.deepEqual(decodeEpollEvents(small, 1), [{ events: EPOLL.EPOLLIN, data: 7 }]);
});

test('epollData keeps one representation: a number below 2^53, a bigint from there', () => {
  assert.equal(epollData(2n ** 53n - 1n), 2 ** 53 - 1);
  assert.equal(epollData(2n ** 53n), 2n ** 53n);
  assert.equal(epollData(42), 42);
});

test('an epoll snapshot writes epoll data from 2^53 up as a decimal string, so it stays JSON', async () => {
  await withSim(async ({ sys, k }) => {
    const ep = ok(await sys.epoll_create1(0)).ret;
    const a = ok(await sys.eventfd(0, 0)).ret;
    const b = ok(await sys.eventfd(0, 0)).ret;
    ok(await sys.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, a, { events: EPOLL.EPOLLIN, data: 2n ** 64n - 1n }));
    ok(await sys.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, b, { events: EPOLL.EPOLLIN, data: 9 }));
    const items = JSON.parse(JSON.stringify(snapshotEventpolls(k))).flatMap(
      (e: { items: { fd: number; data: unknown }[] }) => e.items,
    );
    assert.deepEqual(
      items.map((i: { fd: number; data: unknown }) => [i.fd, i.data]).sort(),
      [
        [a, '18446744073709551615'],
        [b, 9],
      ].sort(),
    );
    for (const fd of [a, b, ep]) ok(await sys.close(fd));
  });
});
