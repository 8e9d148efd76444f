// The playground in a real browser (Debian's chromium through playwright-core), against the DOM
// contract: presets load, the keyboard steps, and at each step checked the interest trees, ready
// lists and wait queues on the page are the trace's (computed here with the public API and
// rebuildSnapshot); a malformed script, a deadlock and an Unsupported call are reported; a shared
// URL reopens the same view; the token is required. Saves playground-{light,dark}.png and
// measures a 2 000-step script's load and a step change.
//
// Needs the built page (npm run build:web) and chromium: a missing one fails with the fix. Only a
// tree without the page's sources (web/) skips, saying so.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { formatScriptTextForm, parseScriptText, ScriptError } from '../../src/index.ts';
import { type Harness, REPO, startHarness } from './browser.ts';
import { type PageView, READ_PAGE, type Traced, traceOf, type View, viewAt } from './expected.ts';

const EXAMPLES = join(REPO, 'examples');
const examples = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.json'))
  .sort();
const exampleText = (file: string) => readFileSync(join(EXAMPLES, file), 'utf8');
const noPage = existsSync(join(REPO, 'web', 'index.html'))
  ? false
  : 'the playground page (web/index.html) is not in this tree';

/** The share hash of a script (contract: base64url of the UTF-8 JSON, the step 0-based). */
function shareHash(json: string, step?: number): string {
  const script = Buffer.from(json, 'utf8').toString('base64url');
  return step === undefined ? `script=${script}` : `script=${script}&step=${step}`;
}

const until = async <T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 8000): Promise<T> => {
  const end = Date.now() + ms;
  let v = await read();
  while (!done(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    v = await read();
  }
  return v;
};

const readPage = (page: Page) => page.evaluate<PageView>(READ_PAGE);

/** The page shows step `i` of `traced`, with the trace's trees, ready lists and wait queues. */
async function expectStep(page: Page, traced: Traced, i: number, what: string): Promise<void> {
  const index = `${i + 1} / ${traced.steps}`;
  const want: View = viewAt(traced, i);
  const got = await until(
    () => readPage(page),
    (v) => v.index === index && JSON.stringify(v.view) === JSON.stringify(want),
  );
  assert.equal(got.index, index, `${what}: the step index`);
  assert.deepEqual(got.view, want, `${what}, step ${i}: the page's structures are the trace's`);
}

/** Keys go to the page, not to a focused editor or select. */
async function press(page: Page, key: string): Promise<void> {
  await page.evaluate(
    'document.activeElement && document.activeElement.blur && document.activeElement.blur()',
  );
  await page.keyboard.press(key);
}

/**
 * Press Home or End (idempotent) until the page shows step `i` of `traced`: a preset's trace is
 * computed in a Worker, and a key pressed before it arrives acts on the previous script.
 */
async function settle(
  page: Page,
  traced: Traced,
  key: 'Home' | 'End',
  i: number,
  what: string,
): Promise<void> {
  const index = `${i + 1} / ${traced.steps}`;
  for (let tries = 0; tries < 20; tries++) {
    await press(page, key);
    const v = await until(
      () => readPage(page),
      (x) => x.index === index,
      500,
    );
    if (v.index === index) break;
  }
  await expectStep(page, traced, i, what);
}

/** `p`, or a clear failure after `ms` (a page whose main thread hangs never answers input). */
async function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer from the page in ${ms} ms (is it hung?)`)),
      ms,
    );
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function choosePreset(page: Page, file: string): Promise<void> {
  const stem = file.replace(/\.json$/, '');
  const options = await page.evaluate<{ value: string; text: string }[]>(
    `[...document.querySelectorAll('[data-testid=preset-select] option')].map((o) => ({ value: o.value, text: o.textContent || '' }))`,
  );
  const option = options.find((o) => o.value.includes(stem) || o.text.includes(stem));
  assert.ok(option, `a preset for ${file} among ${options.map((o) => o.value).join(', ')}`);
  await page.getByTestId('preset-select').selectOption(option.value);
  // Loaded when the step list is this script's: a step per step, each naming its call.
  const calls = (JSON.parse(exampleText(file)) as { steps: { call: string }[] }).steps.map((st) => st.call);
  const shown = () =>
    page.evaluate<string[]>(
      `[...document.querySelectorAll('[data-testid=step]')].map((e) => e.textContent || '')`,
    );
  const loaded = (texts: string[]) =>
    texts.length === calls.length && texts.every((text, i) => text.includes(calls[i]));
  const texts = await until(shown, loaded);
  assert.ok(loaded(texts), `${file}: the step list is the preset's (${texts.length} steps shown)`);
}

describe('the playground in chromium', { skip: noPage, timeout: 300_000 }, () => {
  let h: Harness;
  const traces = new Map<string, Traced>();
  const traced = async (file: string) => {
    let t = traces.get(file);
    if (!t) {
      t = await traceOf(exampleText(file));
      traces.set(file, t);
    }
    return t;
  };

  before(async () => {
    h = await startHarness();
  });
  after(() => h?.close());

  async function open(hash?: string) {
    const p = await h.newPage();
    const r = await p.page.goto(h.url('/', hash));
    assert.equal(r?.status(), 200);
    await p.page.getByTestId('step-index').waitFor();
    return p;
  }

  test('the_token_is_required', async () => {
    const { page } = await h.newPage();
    for (const path of ['/', '/index.html', '/api/info']) {
      const r = await page.goto(h.bareUrl(path));
      assert.equal(r?.status(), 403, path);
    }
    const r = await page.goto(h.url());
    assert.equal(r?.status(), 200, 'with the token');
    await page.getByTestId('step-index').waitFor();
  });

  test('every_preset_loads_and_its_first_and_last_steps_are_the_traces', async () => {
    const { page, errors } = await open();
    for (const file of examples) {
      const t = await traced(file);
      assert.equal(t.report.failure, undefined, `${file} runs to its end`);
      await choosePreset(page, file);
      await settle(page, t, 'End', t.steps - 1, file);
      await settle(page, t, 'Home', 0, file);
      assert.equal(await page.getByTestId('step').count(), t.steps, `${file}: one step-list entry per step`);
      assert.equal(await page.getByTestId('script-error').isVisible(), false, `${file}: no error`);
      assert.equal(await page.getByTestId('blocked').isVisible(), false, `${file}: no deadlock`);
    }
    assert.deepEqual(errors, []);
  });

  for (const file of [
    '04-lt-vs-et-partial-read.json',
    '08-interest-tree-and-ready-list.json',
    '10-threads-most-recent-waiter.json',
    '11-epollexclusive-two-epolls.json',
    '12-nested-epoll.json',
  ]) {
    test(`the_keyboard_steps_through_${file.replace(/\.json$/, '')}_and_every_step_is_the_traces`, async () => {
      const t = await traced(file);
      const { page, errors } = await open();
      await choosePreset(page, file);
      await settle(page, t, 'Home', 0, file);
      for (let i = 1; i < t.steps; i++) {
        await press(page, 'ArrowRight');
        await expectStep(page, t, i, `${file} forwards`);
        const current = page.locator('[data-testid=step][aria-current=step]');
        assert.equal(await current.count(), 1, 'one current step');
        assert.equal(await page.getByTestId('step').nth(i).getAttribute('aria-current'), 'step');
      }
      await press(page, 'ArrowRight');
      await expectStep(page, t, t.steps - 1, `${file}: past the end stays at the end`);
      for (let i = t.steps - 2; i >= Math.max(0, t.steps - 5); i--) {
        await press(page, 'ArrowLeft');
        await expectStep(page, t, i, `${file} backwards`);
      }
      assert.deepEqual(errors, []);
    });
  }

  test('a_shared_url_reopens_the_same_view', async () => {
    const file = '08-interest-tree-and-ready-list.json';
    const t = await traced(file);
    // A link made by hand, as the contract defines it.
    const made = await open(shareHash(exampleText(file), 11));
    await expectStep(made.page, t, 11, 'a link to step 11');
    // The page's own link, after stepping: opened in a fresh browser context (no cookie).
    await press(made.page, 'ArrowLeft');
    await press(made.page, 'ArrowLeft');
    await expectStep(made.page, t, 9, 'two steps back');
    const url = await until(
      async () => made.page.url(),
      (u) => /[#&]step=9\b/.test(u),
    );
    assert.match(url, /[#&]step=9\b/, 'the URL follows the step');
    assert.match(url, /[#&]script=/, 'the URL carries the script');
    const again = await h.newPage();
    await again.page.goto(url);
    await expectStep(again.page, t, 9, 'the shared link');
    assert.deepEqual([...made.errors, ...again.errors], []);
  });

  test('compare_with_linux_runs_the_script_on_this_kernel_and_every_step_agrees', async () => {
    const file = '04-lt-vs-et-partial-read.json';
    const steps = (JSON.parse(exampleText(file)) as { steps: unknown[] }).steps.length;
    const { page, errors } = await open(shareHash(exampleText(file), 0));
    await page.getByTestId('compare-linux').click();
    const summary = page.getByTestId('linux-summary');
    await summary.waitFor({ timeout: 30_000 });
    assert.equal((await summary.textContent())?.trim(), `${steps} of ${steps} steps agree with Linux`);
    const verdicts = await page
      .getByTestId('linux-verdict')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-verdict')));
    assert.equal(verdicts.length, steps);
    assert.ok(
      verdicts.every((v) => v === 'same'),
      verdicts.join(' '),
    );
    assert.deepEqual(errors, []);
  });

  test('a_malformed_script_is_reported_with_the_parsers_message', async () => {
    const bad = JSON.stringify({ steps: [{ call: 'pipe', bind: ['r', 'w'] }, { call: 'frob' }] });
    let message = '';
    try {
      parseScriptText(bad);
    } catch (e) {
      assert.ok(e instanceof ScriptError);
      message = e.message;
    }
    assert.match(message, /frob/);
    const { context, page, errors } = await open(shareHash(bad));
    try {
      const error = page.getByTestId('script-error');
      await error.waitFor({ state: 'visible' });
      assert.match((await error.textContent()) ?? '', /unknown call "frob"/);
      // Typing nonsense into the editor is reported too; a preset clears it.
      await choosePreset(page, examples[0]);
      await error.waitFor({ state: 'hidden' });
      await page.getByTestId('editor').locator('.cm-content').click();
      await within(15_000, page.keyboard.press('ControlOrMeta+a'), 'select all in the editor');
      await within(15_000, page.keyboard.type('frob('), 'typing "frob(" into the editor');
      await error.waitFor({ state: 'visible' });
      assert.match((await error.textContent()) ?? '', /frob/);
      // The last good trace stays on view, marked stale, while the error shows.
      assert.match((await page.getByTestId('step-index').textContent()) ?? '', /^1 \/ [1-9]\d*$/);
      assert.ok((await page.getByTestId('step').count()) > 0, 'the step list stays');
      assert.equal(await page.locator('.steps.stale').count(), 1, 'the steps are marked stale');
      assert.equal(await page.locator('.kernel-scroll[data-stale=true]').count(), 1, 'so is the kernel');
      // Half a binding, as a person types one: reported, never thrown.
      await within(15_000, page.keyboard.press('ControlOrMeta+a'), 'select all in the editor');
      await within(15_000, page.keyboard.type('[r, w'), 'typing "[r, w" into the editor');
      await error.waitFor({ state: 'visible' });
      assert.deepEqual(errors, [], 'bad input never breaks the page');
    } finally {
      // A hung page must not hold the browser for the tests after this one.
      await within(5000, context.close(), 'closing the page').catch(() => {});
    }
  });

  test('the_inspector_sits_above_the_kernel_view_and_follows_the_step', async () => {
    const file = '04-lt-vs-et-partial-read.json';
    const t = await traced(file);
    const { page, errors } = await open();
    await choosePreset(page, file);
    await settle(page, t, 'Home', 0, file);
    await page.getByTestId('step').nth(8).click();
    await expectStep(page, t, 8, `${file} clicked`);
    const epitem = page.getByTestId('epitem').first();
    await epitem.click();
    const inspector = page.getByTestId('inspector');
    await inspector.waitFor({ state: 'visible' });
    assert.match((await inspector.textContent()) ?? '', /epitem #\d+/);
    const a = (await inspector.boundingBox())!;
    const b = (await epitem.boundingBox())!;
    const overlap =
      a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    assert.equal(overlap, false, 'the inspector does not cover the object it shows');
    await press(page, 'ArrowRight');
    await expectStep(page, t, 9, `${file} stepped`);
    assert.match((await inspector.textContent()) ?? '', /epitem #\d+/, 'still open: the epitem exists');
    // The last step closes the epoll: its epitem is gone, and so is the inspector.
    await press(page, 'End');
    await expectStep(page, t, t.steps - 1, `${file} end`);
    await inspector.waitFor({ state: 'detached' });
    assert.deepEqual(errors, []);
  });

  test('a_deadlock_shows_each_blocked_thread_and_its_call', async () => {
    const forever = JSON.stringify({
      steps: [
        { call: 'pipe', bind: ['r', 'w'] },
        { call: 'read', args: ['$r', 1] },
      ],
    });
    const { page, errors } = await open(shareHash(forever));
    const blocked = page.getByTestId('blocked');
    await blocked.waitFor({ state: 'visible' });
    const text = (await blocked.textContent()) ?? '';
    assert.match(text, /main/);
    assert.match(text, /read/);
    assert.deepEqual(errors, []);
  });

  test('an_unsupported_call_marks_its_step', async () => {
    const unsupported = JSON.stringify({
      steps: [
        { call: 'pipe', bind: ['r', 'w'] },
        { call: 'timerfd_create', args: ['CLOCK_REALTIME', 0] },
      ],
    });
    const { page, errors } = await open(shareHash(unsupported));
    await press(page, 'End');
    const mark = page.getByTestId('unsupported');
    await mark.waitFor({ state: 'visible' });
    assert.match((await mark.textContent()) ?? '', /CLOCK_REALTIME|timerfd_create|nsupported/);
    assert.deepEqual(errors, []);
  });

  test('the_cost_tab_charts_select_poll_and_epoll_against_n', async () => {
    const { page, errors } = await open();
    await page
      .getByRole('tab', { name: /^cost$/i })
      .or(page.getByRole('button', { name: /^cost$/i }))
      .first()
      .click();
    const view = page.getByTestId('cost-view');
    await view.waitFor({ state: 'visible' });
    const charts = view.getByTestId('cost-chart');
    await until(
      () => charts.count(),
      (n) => n >= 4,
    );
    assert.ok((await charts.count()) >= 4, 'a chart per counter');
    for (const mechanism of ['select', 'poll', 'epoll']) {
      assert.ok((await view.locator(`[data-mechanism=${mechanism}]`).count()) >= 4, mechanism);
    }
    assert.deepEqual(errors, []);
  });

  // Written to a temporary folder; IOMUX_SCREENSHOTS=docs refreshes the README's pictures.
  test('screenshots_light_and_dark_at_1280x800', async () => {
    const dir = process.env.IOMUX_SCREENSHOTS
      ? join(REPO, process.env.IOMUX_SCREENSHOTS)
      : mkdtempSync(join(tmpdir(), 'iomux-shots-'));
    mkdirSync(dir, { recursive: true });
    const file = '08-interest-tree-and-ready-list.json';
    const t = await traced(file);
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page } = await h.newPage({ colorScheme });
      await page.goto(h.url('/', shareHash(formatScriptTextForm(JSON.parse(exampleText(file))), 11)));
      await expectStep(page, t, 11, `${colorScheme} screenshot`);
      const png = await page.screenshot({ path: join(dir, `playground-${colorScheme}.png`) });
      assert.equal(png.readUInt32BE(16), 1280);
      assert.equal(png.readUInt32BE(20), 800);
    }
  });

  test('a_2000_step_script_loads_and_steps_quickly', async (t) => {
    // 1 000 write/read pairs on a pipe watched by an epoll: 2 000 steps with the setup.
    const steps: unknown[] = [
      { call: 'pipe2', args: ['O_NONBLOCK'], bind: ['r', 'w'] },
      { call: 'epoll_create1', args: [0], bind: 'ep' },
      { call: 'epoll_ctl', args: ['$ep', 'EPOLL_CTL_ADD', '$r', { events: 'EPOLLIN', data: 1 }] },
    ];
    while (steps.length < 2000) {
      steps.push({ call: 'write', args: ['$w', 'x'] }, { call: 'epoll_wait', args: ['$ep', 8, 0] });
      steps.push({ call: 'read', args: ['$r', 8] });
    }
    const json = JSON.stringify({ name: '2 000 steps', steps: steps.slice(0, 2000) });
    assert.equal((await traceOf(json)).steps, 2000);
    const { page, errors } = await h.newPage();
    const t0 = Date.now();
    await page.goto(h.url('/', shareHash(json, 1999)));
    await until(
      () => readPage(page),
      (v) => v.index === '2000 / 2000',
      30_000,
    );
    const loadMs = Date.now() - t0;
    assert.equal((await readPage(page)).index, '2000 / 2000', 'the script loaded at its last step');
    const stepMs = await page.evaluate<number[]>(`(async () => {
      const el = document.querySelector('[data-testid=step-index]');
      const times = [];
      for (let k = 0; k < 20; k++) {
        const before = el.textContent;
        const t0 = performance.now();
        document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }));
        await new Promise((resolve, reject) => {
          const check = () =>
            el.textContent !== before
              ? resolve()
              : performance.now() - t0 > 5000
                ? reject(new Error('a step change did not show in 5 s'))
                : requestAnimationFrame(check);
          check();
        });
        await new Promise((resolve) => requestAnimationFrame(() => resolve()));
        times.push(performance.now() - t0);
      }
      return times;
    })()`);
    const median = [...stepMs].sort((a, b) => a - b)[Math.floor(stepMs.length / 2)];
    t.diagnostic(
      `2 000 steps: loaded in ${loadMs} ms; a step change redraws in ${median.toFixed(1)} ms (median of 20)`,
    );
    // The targets are 1–2 s and 50 ms; the bounds here leave room for a loaded CI machine.
    assert.ok(loadMs < 15_000, `load ${loadMs} ms`);
    assert.ok(median < 500, `step ${median} ms`);
    assert.deepEqual(errors, []);
  });
});
