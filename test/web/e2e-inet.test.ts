// Internet sockets in the playground, in a real browser: example 25 (the edge-triggered TCP
// accept loop) after the first accept. The kernel panel names each TCP file's state and addresses.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { type Harness, REPO, startHarness } from './browser.ts';

const example = readFileSync(join(REPO, 'examples/25-epoll-et-accept-loop-tcp.json'), 'utf8');
const hashAt = (step: number) => `script=${Buffer.from(example, 'utf8').toString('base64url')}&step=${step}`;

const TCP_FILES = `[...document.querySelectorAll('[data-testid="file"][data-type="tcp"]')].map((e) => e.textContent.replace(/\\s+/g, ' ').trim())`;

/** The TCP files' text once there are `n` of them (the trace is computed in a worker). */
async function tcpFiles(page: Page, n: number): Promise<string[]> {
  const end = Date.now() + 10_000;
  let files = (await page.evaluate(TCP_FILES)) as string[];
  while (files.length !== n && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    files = (await page.evaluate(TCP_FILES)) as string[];
  }
  assert.equal(files.length, n, files.join('\n'));
  return files;
}

describe('internet sockets in the playground (chromium)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h?.close());

  test('the TCP accept loop shows the listener with connections to accept, and the accepted socket', async () => {
    const { page, errors } = await h.newPage({ width: 1280, height: 800 });
    await page.goto(h.url('/', hashAt(18)));
    await page.getByTestId('step-index').waitFor();
    const files = await tcpFiles(page, 5);
    assert.ok(
      files.some((t) => /tcp TCP_LISTEN · 127\.0\.0\.1:8080 · 2 to accept/.test(t)),
      files.join('\n'),
    );
    assert.equal(
      files.filter((t) => /tcp TCP_ESTABLISHED · 127\.0\.0\.1:\d+ → 127\.0\.0\.1:8080/.test(t)).length,
      3,
    );
    assert.ok(
      files.some((t) => /127\.0\.0\.1:8080 → 127\.0\.0\.1:\d+ · 3 unread/.test(t)),
      files.join('\n'),
    );
    await page.screenshot({ path: join(tmpdir(), 'iomux-inet.png') });
    assert.deepEqual(errors, []);
  });
});
