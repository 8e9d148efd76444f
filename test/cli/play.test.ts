// `iomux play`: the token guards every request, /api/linux runs a script on the Linux backend and
// answers per step, bad input gets 400 and the server goes on, and it listens on 127.0.0.1 only.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type LinuxAccess, type PlayServer, startPlay, webRootProblem } from '../../src/cli/play.ts';
import { simBackend } from '../../src/kernel/index.ts';
import { linuxBackend, linuxUnavailableReason } from '../../src/linux/index.ts';
import { repo } from './helpers.ts';

/** A page to serve: index.html, an asset, and a file beside the root that must stay unreachable. */
function makeRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'iomux-play-'));
  const root = join(dir, 'web');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>play</title>');
  writeFileSync(join(root, 'assets', 'app.js'), 'export {};');
  writeFileSync(join(dir, 'secret.txt'), 'not served');
  return root;
}

const SCRIPT = {
  name: 'a pipe',
  steps: [
    { call: 'pipe2', args: ['O_NONBLOCK'], bind: ['r', 'w'] },
    { call: 'write', args: ['$w', 'hi'], expect: { ret: 2 } },
    { call: 'read', args: ['$r', 10] },
    { call: 'read', args: ['$r', 10] },
  ],
};

/** An answer of /api/linux. */
interface Answer {
  steps: { step: number; call: string; result: Record<string, unknown> }[];
  stopped: { step: number | null; kind: string; reason: string } | null;
  error?: string;
  step?: number | null;
}

const answer = async (r: Response) => (await r.json()) as Answer;

/** The same script's expected results on any kernel that is Linux's. */
function assertPipeResults(body: {
  steps: { step: number; result: Record<string, unknown> }[];
  stopped: unknown;
}) {
  assert.equal(body.stopped, null);
  assert.deepEqual(
    body.steps.map((s) => s.step),
    [0, 1, 2, 3],
  );
  assert.deepEqual(body.steps[1].result, { ret: 2 });
  assert.deepEqual(body.steps[2].result, { ret: 2, data: 'hi' });
  assert.deepEqual(body.steps[3].result, { errno: 'EAGAIN' });
}

/** A request with a Host header of our choosing (fetch sets its own). */
function rawGet(port: number, path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('iomux play', () => {
  let play: PlayServer;
  let base: string;
  let linuxAsked = 0;
  // The simulated kernel stands in for Linux here, so these tests run anywhere; the real
  // backend has its own test below.
  const fakeLinux = async (): Promise<LinuxAccess> => {
    linuxAsked++;
    return { backend: simBackend };
  };
  const api = (path: string, init?: RequestInit) =>
    fetch(`${base}${path}${path.includes('?') ? '&' : '?'}token=${play.token}`, init);
  const post = (body: string) => api('/api/linux', { method: 'POST', body });

  before(async () => {
    play = await startPlay({ root: makeRoot(), linux: fakeLinux });
    base = `http://127.0.0.1:${play.port}`;
  });
  after(() => play.close());

  test('the_printed_url_carries_a_random_token', async () => {
    assert.match(play.token, /^[0-9a-f]{64}$/);
    assert.equal(play.url, `http://127.0.0.1:${play.port}/?token=${play.token}`);
    const other = await startPlay({ root: makeRoot() });
    try {
      assert.notEqual(other.token, play.token);
      assert.notEqual(other.port, play.port);
    } finally {
      await other.close();
    }
  });

  test('every_request_without_the_token_gets_403', async () => {
    for (const path of ['/', '/index.html', '/assets/app.js', '/api/info', '/nothing']) {
      const r = await fetch(`${base}${path}`);
      assert.equal(r.status, 403, path);
      assert.match(await r.text(), /token/);
    }
    assert.equal((await fetch(`${base}/api/linux`, { method: 'POST', body: '{}' })).status, 403);
    assert.equal((await fetch(`${base}/?token=${play.token.slice(1)}`)).status, 403, 'a shorter token');
    assert.equal((await fetch(`${base}/?token=${'0'.repeat(64)}`)).status, 403, 'a wrong token');
    const wrongCookie = await fetch(`${base}/`, { headers: { cookie: `iomux-play-${play.port}=nope` } });
    assert.equal(wrongCookie.status, 403);
  });

  test('the_token_opens_the_page_and_its_cookie_serves_the_rest', async () => {
    const r = await fetch(play.url);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(await r.text(), '<!doctype html><title>play</title>');
    const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0];
    assert.equal(cookie, `iomux-play-${play.port}=${play.token}`);
    assert.match(r.headers.get('set-cookie') ?? '', /HttpOnly/);
    const asset = await fetch(`${base}/assets/app.js`, { headers: { cookie } });
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal((await fetch(`${base}/api/info`, { headers: { cookie } })).status, 200);
  });

  test('a_host_header_not_naming_this_server_gets_403', async () => {
    const path = `/?token=${play.token}`;
    assert.equal(await rawGet(play.port, path, `127.0.0.1:${play.port}`), 200);
    assert.equal(await rawGet(play.port, path, `localhost:${play.port}`), 200);
    assert.equal(await rawGet(play.port, path, `evil.example:${play.port}`), 403);
    assert.equal(await rawGet(play.port, path, '127.0.0.1'), 403);
  });

  test('files_outside_the_page_and_missing_files_are_404', async () => {
    assert.equal((await api('/missing.js')).status, 404);
    assert.equal((await api('/%2e%2e/secret.txt')).status, 404);
    assert.equal((await api('/..%2fsecret.txt')).status, 404);
    assert.equal((await api('/assets')).status, 404, 'a directory');
    assert.equal((await api('/api/nothing')).status, 404);
  });

  test('api_info_says_whether_linux_can_run', async () => {
    const r = await api('/api/info');
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { linux: true });
    const none = await startPlay({
      root: makeRoot(),
      linux: async () => ({ backend: null, reason: 'not on this machine' }),
    });
    try {
      const info = await fetch(`http://127.0.0.1:${none.port}/api/info?token=${none.token}`);
      assert.deepEqual(await info.json(), { linux: false, reason: 'not on this machine' });
      const run = await fetch(`http://127.0.0.1:${none.port}/api/linux?token=${none.token}`, {
        method: 'POST',
        body: JSON.stringify({ script: SCRIPT }),
      });
      assert.equal(run.status, 503);
      assert.deepEqual(await run.json(), { error: 'not on this machine' });
    } finally {
      await none.close();
    }
  });

  test('api_linux_answers_each_steps_result', async () => {
    const r = await post(JSON.stringify({ script: SCRIPT }));
    assert.equal(r.status, 200);
    const body = await answer(r);
    assertPipeResults(body);
    assert.equal(body.steps[0].call, 'pipe2');
    assert.ok(linuxAsked >= 1);
  });

  test('api_linux_says_where_a_run_stopped_and_why', async () => {
    const script = {
      steps: [
        { call: 'pipe', bind: ['r', 'w'] },
        { call: 'read', args: ['$r', 1] },
      ],
    };
    const body = await answer(await post(JSON.stringify({ script })));
    assert.equal(body.steps.length, 1);
    assert.equal(body.stopped?.step, 1);
    assert.equal(body.stopped?.kind, 'blocks-forever');
    assert.match(body.stopped?.reason ?? '', /\w/);
  });

  test('malformed_bodies_get_400_with_a_message_and_the_server_goes_on', async () => {
    const cases: [string, RegExp][] = [
      ['', /not JSON/],
      ['{"script": ', /not JSON/],
      ['[]', /"script"/],
      ['null', /"script"/],
      ['{"steps": []}', /"script"/],
      ['{"script": 3}', /JSON object/],
      ['{"script": {"steps": [{"call": "frob"}]}}', /frob/],
      ['{"script": {"steps": [{"call": "read", "args": ["$nope", 1]}]}}', /nope/],
    ];
    for (const [body, message] of cases) {
      const r = await post(body);
      assert.equal(r.status, 400, body);
      const answer = (await r.json()) as { error: string };
      assert.match(answer.error, message, body);
    }
    const bad = await answer(await post('{"script": {"steps": [{"call": "pipe"}, {"call": "frob"}]}}'));
    assert.equal(bad.step, 1, 'the malformed step is named');
    assert.equal((await api('/api/linux')).status, 405, 'GET');
    assert.equal((await api('/api/info', { method: 'POST', body: '{}' })).status, 405);
    assertPipeResults(await answer(await post(JSON.stringify({ script: SCRIPT }))));
  });

  test('it_listens_on_127_0_0_1_only', async () => {
    const address = play.server.address();
    assert.ok(address && typeof address === 'object');
    assert.equal(address.address, '127.0.0.1');
    assert.equal(address.family, 'IPv4');
    // Any other address of this machine is refused.
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal && a.family === 'IPv4')
      .map((a) => a?.address as string);
    for (const host of others) {
      const refused = await new Promise<boolean>((resolve) => {
        const s = connect({ host, port: play.port });
        s.on('connect', () => {
          s.destroy();
          resolve(false);
        });
        s.on('error', () => resolve(true));
      });
      assert.ok(refused, `${host}:${play.port} must refuse connections`);
    }
  });

  test('a_missing_page_says_how_to_build_it', () => {
    assert.match(webRootProblem(join(tmpdir(), 'no-such-iomux-web')) ?? '', /npm run build:web/);
    assert.equal(webRootProblem(makeRoot()), null);
  });

  test('api_linux_runs_on_this_machines_kernel', { skip: linuxUnavailableReason() ?? false }, async () => {
    const real = await startPlay({ root: makeRoot(), linux: async () => ({ backend: linuxBackend }) });
    try {
      const r = await fetch(`http://127.0.0.1:${real.port}/api/linux?token=${real.token}`, {
        method: 'POST',
        body: JSON.stringify({ script: SCRIPT }),
      });
      assertPipeResults(await answer(r));
    } finally {
      await real.close();
    }
  });
});

describe('the play command', () => {
  test('prints_its_url_serves_the_page_and_stops_on_sigterm_with_0', async () => {
    const child = spawn(process.execPath, ['bin/iomux.js', 'play', '--no-open', '--root', makeRoot()], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}/.exec(out);
        if (m) resolve(m[0]);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}${err}`)));
    });
    assert.equal((await fetch(url)).status, 200);
    assert.equal((await fetch(url.replace(/\?token=.*/, ''))).status, 403);
    const code = await new Promise<number | null>((resolve) => {
      child.removeAllListeners('exit');
      child.on('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    assert.equal(code, 0, err);
  });
});
