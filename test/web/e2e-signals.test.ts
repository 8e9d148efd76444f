// Signals in the playground, in a real browser: stepping examples/23 (the race pselect closes)
// shows main's mask and the process's shared pending set change as the script changes them,
// the changed boxes highlighted, and a click opens the inspector on the signal state. Saves
// signals-{light,dark}.png (a temporary folder; IOMUX_SCREENSHOTS=docs writes the docs' copies).
//
// Needs the built page (npm run build:web) and chromium, as test/web/e2e.test.ts.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { type Harness, REPO, startHarness } from './browser.ts';

const example = readFileSync(join(REPO, 'examples/23-pselect-race.json'), 'utf8');
const STEPS = (JSON.parse(example) as { steps: unknown[] }).steps.length;
const hashAt = (step: number) => `script=${Buffer.from(example, 'utf8').toString('base64url')}&step=${step}`;

/** What the page shows of the signals: main's sets, the shared pending set, handler runs, highlights. */
interface SignalView {
  index: string;
  blocked: string;
  pending: string;
  shared: string;
  caught: string;
  threadChanged: boolean;
  processChanged: boolean;
}

const READ = `(() => {
  const t = document.querySelector('[data-testid="thread-signals"][data-name="main"]');
  const p = document.querySelector('[data-testid="process-signals"]');
  const set = (root, id) => root?.querySelector('[data-testid="' + id + '"]')?.getAttribute('data-set') ?? null;
  return {
    index: document.querySelector('[data-testid="step-index"]')?.textContent?.trim() ?? '',
    blocked: set(t, 'sig-blocked'),
    pending: set(t, 'sig-pending'),
    shared: set(p, 'shared-pending'),
    caught: p?.querySelector('[data-testid="caught"][data-sig="SIGUSR1"]')?.getAttribute('data-count') ?? null,
    threadChanged: !!t?.classList.contains('changed'),
    processChanged: !!p?.classList.contains('changed'),
  };
})()`;

async function showing(page: Page, step: number): Promise<SignalView> {
  const index = `${step + 1} / ${STEPS}`;
  const end = Date.now() + 8000;
  let v = (await page.evaluate(READ)) as SignalView;
  while (v.index !== index && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    v = (await page.evaluate(READ)) as SignalView;
  }
  assert.equal(v.index, index);
  return v;
}

async function next(page: Page): Promise<void> {
  await page.evaluate(
    'document.activeElement && document.activeElement.blur && document.activeElement.blur()',
  );
  await page.keyboard.press('ArrowRight');
}

describe('signals in the playground (chromium)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h?.close());

  test('stepping the pselect race shows the mask block SIGUSR1 and the shared pending set fill and drain', async () => {
    const { page, errors } = await h.newPage();
    await page.goto(h.url('/', hashAt(5)));
    await page.getByTestId('step-index').waitFor();
    // Step 5: the first kill's handler ran at once (nothing blocked); nothing is pending.
    let v = await showing(page, 5);
    assert.deepEqual([v.blocked, v.pending, v.shared, v.caught], ['', '', '', '1']);
    // Step 6: sigprocmask(SIG_BLOCK, [SIGUSR1]) — main's mask changes, and is highlighted.
    await next(page);
    v = await showing(page, 6);
    assert.equal(v.blocked, 'SIGUSR1');
    assert.equal(v.threadChanged, true);
    assert.equal(v.processChanged, false);
    // Step 8: kill(SIGUSR1) while blocked — it waits on the shared pending set, not main's own.
    await next(page);
    await next(page);
    v = await showing(page, 8);
    assert.deepEqual([v.blocked, v.pending, v.shared, v.caught], ['SIGUSR1', '', 'SIGUSR1', '1']);
    assert.equal(v.processChanged, true);
    // Step 10: pselect6 with an empty mask — the handler ran inside it, the set drained, and
    // main's mask is SIGUSR1 again afterwards.
    await next(page);
    await next(page);
    v = await showing(page, 10);
    assert.deepEqual([v.blocked, v.pending, v.shared, v.caught], ['SIGUSR1', '', '', '2']);
    assert.equal(v.processChanged, true);
    // The thread's signal box opens the inspector on its fields.
    await page.locator('[data-testid="thread-signals"][data-name="main"]').click();
    const inspector = page.getByTestId('inspector');
    await inspector.waitFor();
    const text = (await inspector.textContent()) ?? '';
    assert.match(text, /signals of thread main/);
    assert.match(text, /SIGUSR1/);
    assert.deepEqual(errors, []);
  });

  test('screenshots_of_the_signal_state_light_and_dark', async () => {
    const dir = process.env.IOMUX_SCREENSHOTS
      ? join(REPO, process.env.IOMUX_SCREENSHOTS)
      : mkdtempSync(join(tmpdir(), 'iomux-shots-'));
    mkdirSync(dir, { recursive: true });
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page } = await h.newPage({ colorScheme });
      await page.goto(h.url('/', hashAt(8)));
      const v = await showing(page, 8);
      assert.equal(v.shared, 'SIGUSR1');
      const png = await page.screenshot({ path: join(dir, `signals-${colorScheme}.png`) });
      assert.equal(png.readUInt32BE(16), 1280);
    }
    console.log(`screenshots in ${dir}`);
  });
});
