// The generic socket layer (src/kernel/net/socket.ts): struct socket's state as Linux sets it,
// the socket file's snapshot, and the AF_UNIX sock as a wait-entry owner with an id.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AF, SOCK } from '../../src/abi/constants.ts';
import { unixSockOfFile } from '../../src/kernel/net/unix/af_unix.ts';
import { waitEntries } from '../../src/kernel/waitqueue.ts';
import { snapshot } from '../../src/observe/snapshot.ts';
import { errno, ok, type Sim, withSim } from '../helpers.ts';

const { AF_UNIX } = AF;
const { SOCK_STREAM, SOCK_DGRAM, SOCK_NONBLOCK } = SOCK;

/** The snapshot detail of the file behind `fd`. */
function detail(sim: Sim, fd: number): { state: string; sk: { id: number; peer: number | null } } {
  const file = sim.p.fdtable.get(fd)!;
  return snapshot(sim.k).files.find((f) => f.id === file.id)!.detail as never;
}

test('socket_state_is_SS_CONNECTED_after_socketpair_connect_and_accept_but_not_dgram_connect', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const [a, b] = ok(await sys.socketpair(AF_UNIX, SOCK_STREAM, 0)).fds;
    assert.equal(detail(sim, a).state, 'SS_CONNECTED');
    assert.equal(detail(sim, a).sk.peer, detail(sim, b).sk.id);
    const l = ok(await sys.socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)).ret;
    assert.equal(detail(sim, l).state, 'SS_UNCONNECTED');
    ok(await sys.bind(l, '@L'));
    ok(await sys.listen(l, 1));
    const c = ok(await sys.socket(AF_UNIX, SOCK_STREAM, 0)).ret;
    ok(await sys.connect(c, '@L'));
    assert.equal(detail(sim, c).state, 'SS_CONNECTED');
    const s = ok(await sys.accept4(l, 0)).ret;
    assert.equal(detail(sim, s).state, 'SS_CONNECTED');
    assert.equal(detail(sim, l).state, 'SS_UNCONNECTED');
    // Linux: unix_dgram_connect leaves sock->state alone.
    const d = ok(await sys.socket(AF_UNIX, SOCK_DGRAM, 0)).ret;
    ok(await sys.bind(d, '@D'));
    const e = ok(await sys.socket(AF_UNIX, SOCK_DGRAM, 0)).ret;
    ok(await sys.connect(e, '@D'));
    assert.equal(detail(sim, e).state, 'SS_UNCONNECTED');
  }));

test('a_listen_on_a_dgram_socket_is_EOPNOTSUPP_from_its_proto_ops', () =>
  withSim(async ({ sys }) => {
    const d = ok(await sys.socket(AF_UNIX, SOCK_DGRAM, 0)).ret;
    assert.equal(errno(await sys.listen(d, 1)), 'EOPNOTSUPP');
    assert.equal(errno(await sys.accept4(d, 0)), 'EOPNOTSUPP');
  }));

test('the_peer_wake_relay_entry_is_owned_by_the_unix_sock_and_carries_its_id', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const a = ok(await sys.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0)).ret;
    ok(await sys.bind(a, '@A'));
    const b = ok(await sys.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0)).ret;
    ok(await sys.connect(b, '@A'));
    for (let i = 0; i < 11; i++) ok(await sys.write(b, new Uint8Array(1)));
    assert.equal(errno(await sys.write(b, new Uint8Array(1))), 'EAGAIN');
    const ska = unixSockOfFile(sim.p.fdtable.get(a)!)!;
    const skb = unixSockOfFile(sim.p.fdtable.get(b)!)!;
    const [entry] = waitEntries(ska.peerWait);
    assert.equal(entry.kind, 'unix_dgram_peer_wake_relay');
    assert.equal(entry.owner, skb);
    assert.equal((entry.owner as { id: number }).id, skb.id);
  }));
