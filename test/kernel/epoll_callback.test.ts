// ep_poll_callback's decision on its own (src/kernel/eventpoll/callback.ts): which wake-ups an
// item takes, where it goes (ready list or ovflist), whom it wakes, and what it returns to
// __wake_up_common for EPOLLEXCLUSIVE (reference §4.7, §4.11).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EP_PRIVATE_BITS, EPOLL, POLLFREE } from '../../src/abi/constants.ts';
import { type EpPollCallbackInput, epPollCallbackDecision } from '../../src/kernel/eventpoll/callback.ts';

const { EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE, EPOLLPRI } = EPOLL;
/** What ADD stores for a mask: the mask plus ERR|HUP. */
const added = (events: number) => (events | EPOLLERR | EPOLLHUP) >>> 0;

/** An idle item outside a scan, on an epoll with one thread in epoll_wait and no pollers. */
function input(over: Partial<EpPollCallbackInput>): EpPollCallbackInput {
  return {
    events: added(EPOLLIN),
    key: EPOLLIN,
    scanning: false,
    onOvflist: false,
    linked: false,
    waiters: true,
    pollers: false,
    ...over,
  };
}

test('oneshot_item_is_disarmed_after_one_event', () => {
  // ep_send_events leaves a delivered ONESHOT item only its private bits.
  const fired = added(EPOLLIN | EPOLLONESHOT) & EP_PRIVATE_BITS;
  const d = epPollCallbackDecision(input({ events: fired, pollers: true }));
  assert.deepEqual(d, { result: 'disabled', wakeWaiter: false, wakePollers: false, ewake: 1, detach: false });
  // Before it fired, the same wake-up queues it.
  assert.equal(epPollCallbackDecision(input({ events: added(EPOLLIN | EPOLLONESHOT) })).result, 'queued');
});

test('a_disarmed_oneshot_item_ignores_even_a_keyless_wakeup', () => {
  const fired = added(EPOLLIN | EPOLLONESHOT | EPOLLET) & EP_PRIVATE_BITS;
  assert.equal(epPollCallbackDecision(input({ events: fired, key: 0 })).result, 'disabled');
});

test('a_key_with_none_of_the_items_events_is_filtered_and_wakes_nobody', () => {
  const d = epPollCallbackDecision(input({ events: added(EPOLLIN), key: EPOLLOUT, pollers: true }));
  assert.deepEqual(d, { result: 'filtered', wakeWaiter: false, wakePollers: false, ewake: 1, detach: false });
});

test('a_key_of_zero_is_never_filtered', () => {
  assert.equal(epPollCallbackDecision(input({ events: added(EPOLLOUT), key: 0 })).result, 'queued');
});

test('err_and_hup_added_at_ADD_let_a_HUP_key_through_for_an_IN_only_item', () => {
  assert.equal(epPollCallbackDecision(input({ events: added(EPOLLIN), key: EPOLLHUP })).result, 'queued');
});

test('an_unlinked_item_outside_a_scan_is_queued_and_wakes_one_waiter_and_the_pollers', () => {
  const d = epPollCallbackDecision(input({ pollers: true }));
  assert.deepEqual(d, { result: 'queued', wakeWaiter: true, wakePollers: true, ewake: 1, detach: false });
});

test('a_linked_item_is_not_queued_again_but_still_wakes_a_waiter', () => {
  const d = epPollCallbackDecision(input({ linked: true, pollers: true }));
  assert.deepEqual(d, { result: 'already', wakeWaiter: true, wakePollers: true, ewake: 1, detach: false });
});

test('during_a_scan_an_item_goes_on_the_ovflist_even_when_linked', () => {
  assert.equal(epPollCallbackDecision(input({ scanning: true })).result, 'ovflist');
  assert.equal(epPollCallbackDecision(input({ scanning: true, linked: true })).result, 'ovflist');
});

test('during_a_scan_an_item_already_on_the_ovflist_is_not_chained_twice_but_still_wakes', () => {
  const d = epPollCallbackDecision(input({ scanning: true, onOvflist: true }));
  assert.equal(d.result, 'already');
  assert.equal(d.wakeWaiter, true);
});

test('without_waiters_or_pollers_a_queued_item_wakes_nobody', () => {
  const d = epPollCallbackDecision(input({ waiters: false, pollers: false }));
  assert.deepEqual(d, { result: 'queued', wakeWaiter: false, wakePollers: false, ewake: 1, detach: false });
});

test('an_exclusive_item_counts_as_a_wakeup_only_when_a_thread_waits', () => {
  const events = added(EPOLLIN | EPOLLEXCLUSIVE);
  assert.equal(epPollCallbackDecision(input({ events, waiters: true })).ewake, 1);
  assert.equal(epPollCallbackDecision(input({ events, waiters: false })).ewake, 0);
  // Queued all the same: the next epoll_wait finds it.
  assert.equal(epPollCallbackDecision(input({ events, waiters: false })).result, 'queued');
});

test('an_exclusive_item_counts_an_IN_or_OUT_key_only_if_it_asked_for_that_direction', () => {
  const inOnly = added(EPOLLIN | EPOLLEXCLUSIVE);
  const outOnly = added(EPOLLOUT | EPOLLEXCLUSIVE);
  assert.equal(epPollCallbackDecision(input({ events: inOnly, key: EPOLLIN })).ewake, 1);
  assert.equal(epPollCallbackDecision(input({ events: outOnly, key: EPOLLOUT })).ewake, 1);
  // OUT key on an IN item with HUP in the key: taken (HUP matches) but not counted.
  const d = epPollCallbackDecision(input({ events: inOnly, key: EPOLLOUT | EPOLLHUP }));
  assert.equal(d.result, 'queued');
  assert.equal(d.ewake, 0);
});

test('an_exclusive_item_does_not_count_a_key_with_both_IN_and_OUT', () => {
  const d = epPollCallbackDecision(
    input({ events: added(EPOLLIN | EPOLLOUT | EPOLLEXCLUSIVE), key: EPOLLIN | EPOLLOUT }),
  );
  assert.equal(d.result, 'queued');
  assert.equal(d.wakeWaiter, true);
  assert.equal(d.ewake, 0);
});

test('an_exclusive_item_counts_a_key_with_neither_IN_nor_OUT_and_a_zero_key', () => {
  const events = added(EPOLLIN | EPOLLEXCLUSIVE);
  assert.equal(epPollCallbackDecision(input({ events, key: EPOLLHUP })).ewake, 1);
  assert.equal(epPollCallbackDecision(input({ events, key: 0 })).ewake, 1);
});

test('a_filtered_or_disabled_exclusive_item_does_not_count_so_the_wakeup_moves_on', () => {
  const events = added(EPOLLIN | EPOLLEXCLUSIVE);
  assert.equal(epPollCallbackDecision(input({ events, key: EPOLLPRI })).ewake, 0);
  assert.equal(epPollCallbackDecision(input({ events: events & EP_PRIVATE_BITS })).ewake, 0);
});

test('a_POLLFREE_key_detaches_the_entry_and_an_exclusive_item_does_not_count', () => {
  const excl = epPollCallbackDecision(
    input({ events: added(EPOLLIN | EPOLLEXCLUSIVE), key: POLLFREE | EPOLLHUP }),
  );
  assert.deepEqual(excl, { result: 'queued', wakeWaiter: true, wakePollers: false, ewake: 0, detach: true });
  // Detached whatever the item does with the event, even when disarmed.
  const fired = added(EPOLLIN | EPOLLONESHOT) & EP_PRIVATE_BITS;
  assert.equal(epPollCallbackDecision(input({ events: fired, key: POLLFREE | EPOLLHUP })).detach, true);
});

test('over_every_input_only_a_taken_wakeup_moves_the_item_or_wakes_anyone', () => {
  const bools = [false, true];
  for (const events of [
    added(EPOLLIN),
    added(EPOLLOUT | EPOLLET),
    EPOLLONESHOT,
    added(EPOLLIN | EPOLLEXCLUSIVE),
  ])
    for (const key of [0, EPOLLIN, EPOLLOUT, EPOLLIN | EPOLLOUT, EPOLLPRI, EPOLLHUP | POLLFREE])
      for (const scanning of bools)
        for (const onOvflist of bools)
          for (const linked of bools)
            for (const waiters of bools)
              for (const pollers of bools) {
                const s = { events, key, scanning, onOvflist, linked, waiters, pollers };
                const d = epPollCallbackDecision(s);
                const why = JSON.stringify(s);
                const taken = d.result !== 'disabled' && d.result !== 'filtered';
                if (!(events & EPOLLEXCLUSIVE)) assert.equal(d.ewake, 1, why);
                else if (d.ewake === 1) assert.ok(d.wakeWaiter && !(key & POLLFREE), why);
                assert.equal(d.result === 'queued', taken && !scanning && !linked, why);
                assert.equal(d.result === 'ovflist', taken && scanning && !onOvflist, why);
                assert.equal(d.wakeWaiter, taken && waiters, why);
                assert.equal(d.wakePollers, taken && pollers, why);
                assert.equal(d.detach, (key & POLLFREE) !== 0, why);
              }
});
