// The browser-test harness: the play server (src/cli/play.ts) on a random port, serving the built
// page (dist/web/) or a given directory, and Debian's chromium driven by playwright-core.
// Nothing is downloaded: the browser is the system's (/usr/bin/chromium; .ci/run installs it).
// A missing browser or a missing build is an error with the fix in its message, never a skip.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { defaultWebRoot, type LinuxAccess, type PlayServer, startPlay } from '../../src/cli/play.ts';

/** The browser the tests drive; IOMUX_CHROMIUM names another chromium build. */
export const CHROMIUM = process.env.IOMUX_CHROMIUM ?? '/usr/bin/chromium';

/** The repository's root. */
export const REPO = new URL('../../', import.meta.url).pathname;

/** Why the browser tests cannot run here (the fix included), or null. */
export function chromiumProblem(): string | null {
  if (existsSync(CHROMIUM)) return null;
  return `the browser tests need chromium at ${CHROMIUM}: install it with "apt-get install -y chromium" (.ci/run does), or set IOMUX_CHROMIUM to a chromium binary`;
}

/** Why `root` cannot be served (the fix included), or null. */
export function buildProblem(root: string): string | null {
  if (existsSync(join(root, 'index.html'))) return null;
  return `the playground is not built (no ${join(root, 'index.html')}): run "npm run build:web" first (npm ci runs it through "prepare")`;
}

export interface HarnessOptions {
  /** The directory to serve (default: dist/web/, which must be built). */
  readonly root?: string;
  /** How the server reaches the Linux backend (default: the real one, loaded on first use). */
  readonly linux?: () => Promise<LinuxAccess>;
}

export interface PageOptions {
  readonly colorScheme?: 'light' | 'dark';
  readonly width?: number;
  readonly height?: number;
}

export interface Harness {
  readonly play: PlayServer;
  readonly browser: Browser;
  /** A URL of the server: `path` (default "/") with the token, then `hash` (without "#"). */
  url(path?: string, hash?: string): string;
  /** The same URL without the token. */
  bareUrl(path?: string): string;
  /** A fresh browser context (no cookies) and page, 1280×800 unless told. */
  newPage(opts?: PageOptions): Promise<{ context: BrowserContext; page: Page; errors: string[] }>;
  close(): Promise<void>;
}

/** Check the build and the browser, start the server, launch chromium. */
export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const root = opts.root ?? defaultWebRoot();
  const problem = buildProblem(root) ?? chromiumProblem();
  if (problem) throw new Error(problem);
  const play = await startPlay({ root, ...(opts.linux ? { linux: opts.linux } : {}) });
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in CI has no user namespace for chromium's sandbox.
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    });
  } catch (e) {
    await play.close();
    throw new Error(`chromium (${CHROMIUM}) did not start: ${(e as Error).message}`);
  }
  const base = `http://127.0.0.1:${play.port}`;
  const contexts: BrowserContext[] = [];
  return {
    play,
    browser,
    url: (path = '/', hash) =>
      `${base}${path}${path.includes('?') ? '&' : '?'}token=${play.token}${hash ? `#${hash}` : ''}`,
    bareUrl: (path = '/') => `${base}${path}`,
    async newPage(p = {}) {
      const context = await browser.newContext({
        viewport: { width: p.width ?? 1280, height: p.height ?? 800 },
        colorScheme: p.colorScheme ?? 'light',
      });
      contexts.push(context);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        // A failed request is reported below, with its URL.
        if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
          errors.push(`console.error: ${m.text()}`);
      });
      page.on('response', (r) => {
        // The browser asks for /favicon.ico on its own; the page need not have one.
        if (r.status() >= 400 && !r.url().includes('/favicon.ico')) errors.push(`${r.status()} ${r.url()}`);
      });
      return { context, page, errors };
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close().catch(() => {});
      await play.close();
    },
  };
}
