// The browser harness against a page of its own (test/web/selftest/): chromium starts, loads the
// page through the play server with its token, keys reach the page, the page's own fetch of
// /api/info carries the token, a URL without the token is refused, and light and dark differ.
// Fails, with the fix, where chromium is missing.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { simBackend } from '../../src/kernel/index.ts';
import { type Harness, startHarness } from './browser.ts';

const ROOT = new URL('./selftest/', import.meta.url).pathname;

describe('the browser harness', { timeout: 60_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ root: ROOT, linux: async () => ({ backend: simBackend }) });
  });
  after(() => h?.close());

  test('loads_the_page_with_the_token_and_steps_with_keys', async () => {
    const { page, errors } = await h.newPage();
    const r = await page.goto(h.url('/', 'step=1'));
    assert.equal(r?.status(), 200);
    const index = page.getByTestId('step-index');
    assert.equal(await index.textContent(), '2 / 3');
    await page.keyboard.press('ArrowRight');
    assert.equal(await index.textContent(), '3 / 3');
    await page.keyboard.press('Home');
    assert.equal(await index.textContent(), '1 / 3');
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await index.textContent(), '2 / 3');
    await page.getByTestId('linux').getByText('linux: true').waitFor();
    assert.deepEqual(errors, []);
  });

  test('a_url_without_the_token_is_refused', async () => {
    const { page } = await h.newPage();
    const r = await page.goto(h.bareUrl('/'));
    assert.equal(r?.status(), 403);
    assert.match((await page.textContent('body')) ?? '', /token/);
  });

  test('light_and_dark_render_differently', async () => {
    const colours: string[] = [];
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page } = await h.newPage({ colorScheme });
      await page.goto(h.url());
      colours.push(await page.evaluate<string>('getComputedStyle(document.body).backgroundColor'));
      const png = await page.screenshot();
      assert.equal(png.readUInt32BE(16), 1280, 'screenshot width');
      assert.equal(png.readUInt32BE(20), 800, 'screenshot height');
    }
    assert.deepEqual(colours, ['rgb(255, 255, 255)', 'rgb(17, 17, 17)']);
  });
});
