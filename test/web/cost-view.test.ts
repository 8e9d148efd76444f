// The Cost tab's component (web/src/cost/CostView.tsx) alone in chromium: bundled here with
// esbuild into a page of its own, served by the play server. Its four charts fill in, a line
// per mechanism, select's and poll's rising with N and epoll's flat; changing A re-runs it.
// Needs preact (the page's dependency): a tree without it skips, saying so.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { build } from 'esbuild';
import { type Harness, REPO, startHarness } from './browser.ts';

const noPreact = (() => {
  try {
    createRequire(join(REPO, 'package.json')).resolve('preact');
    return false;
  } catch {
    return 'preact (the page’s dependency) is not installed in this tree';
  }
})();

describe('the cost view in chromium', { skip: noPreact, timeout: 120_000 }, () => {
  let h: Harness;
  before(async () => {
    const root = mkdtempSync(join(tmpdir(), 'iomux-cost-'));
    const entry = join(root, 'entry.tsx');
    writeFileSync(
      entry,
      `import { render } from 'preact';\nimport { CostView } from ${JSON.stringify(join(REPO, 'web/src/cost/CostView.tsx'))};\nrender(<CostView />, document.getElementById('app'));\n`,
    );
    await build({
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      outfile: join(root, 'app.js'),
      jsx: 'automatic',
      jsxImportSource: 'preact',
      nodePaths: [join(REPO, 'node_modules')],
      logLevel: 'silent',
    });
    writeFileSync(
      join(root, 'index.html'),
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>cost</title>' +
        '<style>:root{color-scheme:light dark}</style><link rel="stylesheet" href="app.css"></head>' +
        '<body><div id="app"></div><script type="module" src="app.js"></script></body></html>',
    );
    h = await startHarness({ root });
  });
  after(() => h?.close());

  test('four_charts_fill_in_and_show_on_against_o_ready', async () => {
    const { page, errors } = await h.newPage();
    await page.goto(h.url());
    const status = page.getByTestId('cost-status');
    await status.getByText(/^\d+ points$/).waitFor({ timeout: 60_000 });
    assert.equal(await page.getByTestId('cost-chart').count(), 4);
    // Every label lies inside its chart's SVG (the last x label, "4,096", used to be clipped).
    const outside = await page.evaluate<string[]>(`(() => {
      const out = [];
      for (const svg of document.querySelectorAll('[data-testid=cost-chart] svg')) {
        const [, , w, h] = svg.getAttribute('viewBox').split(' ').map(Number);
        for (const t of svg.querySelectorAll('text')) {
          const b = t.getBBox();
          if (b.x < 0 || b.y < 0 || b.x + b.width > w || b.y + b.height > h) out.push(t.textContent);
        }
      }
      return out;
    })()`);
    assert.deepEqual(outside, [], 'labels clipped at the chart edge');
    // Each line's points, as drawn: y falls as the value rises (SVG's y axis points down).
    const lines = await page.evaluate<Record<string, Record<string, number[]>>>(`(() => {
      const out = {};
      for (const chart of document.querySelectorAll('[data-testid=cost-chart]')) {
        const byMechanism = {};
        for (const g of chart.querySelectorAll('[data-mechanism]'))
          byMechanism[g.dataset.mechanism] = [...g.querySelectorAll('circle')].map((c) => Number(c.getAttribute('cy')));
        out[chart.dataset.counter] = byMechanism;
      }
      return out;
    })()`);
    assert.deepEqual(Object.keys(lines).sort(), [
      'bytesCopiedIn',
      'fdsScanned',
      'fopPollCalls',
      'waitEntriesAdded',
    ]);
    for (const [counter, byMechanism] of Object.entries(lines)) {
      for (const m of ['select', 'poll']) {
        const ys = byMechanism[m];
        assert.equal(ys.length, 7, `${counter} ${m}: a point per N`);
        assert.ok(ys[ys.length - 1] < ys[0], `${counter}: ${m} rises with N`);
      }
      assert.equal(new Set(byMechanism.epoll).size, 1, `${counter}: epoll is flat`);
    }
    await page.getByTestId('cost-active').selectOption('64');
    await status.getByText(/measuring/).waitFor();
    await status.getByText(/^\d+ points$/).waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(tmpdir(), 'iomux-cost-view.png') });
    assert.deepEqual(errors, []);
  });
});
