// `iomux play`: the playground's page (dist/web/, built by `npm run build:web`) served on
// 127.0.0.1 only, with the real-Linux comparison the static build cannot have.
//
// Access is as Jupyter's: a random token (crypto.randomBytes) in the printed URL; the first request
// that carries it (`?token=`) sets a cookie, and every request with neither gets 403. The Host
// header must name this server (127.0.0.1 or localhost, at its port), so a page on another origin
// that rebinds its name to 127.0.0.1 is refused too.
//
// Endpoints, besides the page's own files:
//   GET  /api/info   → {"linux": true} or {"linux": false, "reason": "..."}
//   POST /api/linux  body {"script": <JSON script>} → {"steps": [{"step": i, "result": {...}}...],
//                    "stopped": null | {"step": i | null, "reason": "..."}}: the script run on this
//                    machine's kernel (the 'iomux/linux' backend). A body that is not such a
//                    script gets 400 with {"error": message}; Linux unavailable, 503.

import { spawn } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../api/backend.ts';
import { type JsonObject, parseScript, runScript, ScriptError } from '../script/index.ts';
import { CliError } from './cli.ts';
import type { Cli } from './commands.ts';

/** The only address the server listens on. */
export const PLAY_HOST = '127.0.0.1';

/** The largest request body accepted (a script of some thousands of steps fits). */
export const BODY_LIMIT = 4 * 1024 * 1024;

/**
 * The built page: dist/web/ under the package root. This module is src/cli/play.ts in a clone
 * and a chunk of the bundle in dist/cli/ in the installed package (scripts/build-cli.mjs); both
 * are two levels below the root.
 */
export function defaultWebRoot(): string {
  return fileURLToPath(new URL('../../dist/web/', import.meta.url));
}

/** Why the page cannot be served from `root`, or null when it can. */
export function webRootProblem(root: string): string | null {
  if (existsSync(join(root, 'index.html'))) return null;
  return `the playground's page is not built (no ${join(root, 'index.html')}): run "npm run build:web" (or "npm run build") first`;
}

/** The Linux backend, or why it cannot run here. */
export interface LinuxAccess {
  readonly backend: Backend | null;
  readonly reason?: string;
}

/** Load 'iomux/linux' (koffi, native code) on first use only. */
export async function loadLinux(): Promise<LinuxAccess> {
  try {
    const linux = await import('../linux/index.ts');
    const reason = linux.linuxUnavailableReason();
    return reason ? { backend: null, reason } : { backend: linux.linuxBackend };
  } catch (e) {
    return { backend: null, reason: `the Linux backend cannot be loaded: ${(e as Error).message}` };
  }
}

export interface PlayOptions {
  /** 0 (the default): a free port the system picks. */
  readonly port?: number;
  /** The directory served (default: dist/web/ of the package). */
  readonly root?: string;
  /** The token (default: 32 random bytes, hex). */
  readonly token?: string;
  /** How to reach the Linux backend (default: loadLinux). */
  readonly linux?: () => Promise<LinuxAccess>;
}

export interface PlayServer {
  readonly server: Server;
  readonly port: number;
  readonly token: string;
  /** The URL to open: the page, with the token. */
  readonly url: string;
  close(): Promise<void>;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** Start the server; resolves once it listens. Rejects if the port cannot be had. */
export async function startPlay(opts: PlayOptions = {}): Promise<PlayServer> {
  const root = normalize(opts.root ?? defaultWebRoot());
  const token = opts.token ?? randomBytes(32).toString('hex');
  const getLinux = opts.linux ?? loadLinux;
  let linux: Promise<LinuxAccess> | undefined;
  const linuxAccess = () => {
    linux ??= getLinux();
    return linux;
  };
  // One Linux run at a time: each creates a child process; a burst of requests queues.
  let queue: Promise<unknown> = Promise.resolve();
  let port = 0;
  const cookieName = () => `iomux-play-${port}`;

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      // A bug, not a bad request: answer 500 and keep serving.
      if (!res.headersSent) sendJson(res, 500, { error: `internal error: ${(e as Error).message}` });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${PLAY_HOST}:${port}`);
    if (!hostAllowed(req.headers.host, port)) return sendText(res, 403, 'forbidden: unknown Host\n');
    const given = url.searchParams.get('token') ?? cookieValue(req.headers.cookie, cookieName());
    if (given === null || !sameToken(given, token)) {
      return sendText(res, 403, 'forbidden: open the URL that "iomux play" printed (it carries the token)\n');
    }
    if (url.searchParams.has('token')) {
      res.setHeader('Set-Cookie', `${cookieName()}=${token}; Path=/; HttpOnly; SameSite=Strict`);
    }
    if (url.pathname === '/api/info') {
      if (req.method !== 'GET') return sendJson(res, 405, { error: 'GET only' });
      const l = await linuxAccess();
      return sendJson(res, 200, l.backend ? { linux: true } : { linux: false, reason: l.reason ?? '' });
    }
    if (url.pathname === '/api/linux') {
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'POST only' });
      return runLinux(req, res);
    }
    if (url.pathname.startsWith('/api/')) return sendJson(res, 404, { error: `no endpoint ${url.pathname}` });
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'GET only\n');
    return serveFile(url.pathname, req.method === 'HEAD', res);
  }

  async function runLinux(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: string;
    try {
      body = await readBody(req, BODY_LIMIT);
    } catch (e) {
      return sendJson(res, 413, { error: (e as Error).message });
    }
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch (e) {
      return sendJson(res, 400, { error: `the body is not JSON: ${(e as Error).message}` });
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !('script' in doc)) {
      return sendJson(res, 400, { error: 'the body must be {"script": <a JSON script>}' });
    }
    let script: ReturnType<typeof parseScript>;
    try {
      script = parseScript((doc as { script: unknown }).script);
    } catch (e) {
      if (!(e instanceof ScriptError)) throw e;
      const step = e.step ?? null;
      return sendJson(res, 400, { error: e.message, step });
    }
    const l = await linuxAccess();
    if (!l.backend) return sendJson(res, 503, { error: l.reason ?? 'Linux is not available' });
    const backend = l.backend;
    const run = queue.then(() => runScript(script, backend));
    queue = run.catch(() => undefined);
    const report = await run;
    const steps: JsonObject[] = report.outcomes.map((o) => {
      const line: JsonObject = { step: o.step, call: o.call, result: o.result };
      if (o.thread !== undefined) line.thread = o.thread;
      return line;
    });
    const f = report.failure;
    const stopped = f ? { step: f.step, call: f.call, kind: f.kind, reason: f.message } : null;
    return sendJson(res, 200, { steps, stopped });
  }

  async function serveFile(pathname: string, head: boolean, res: ServerResponse): Promise<void> {
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      return sendText(res, 400, 'bad path\n');
    }
    if (rel.includes('\0')) return sendText(res, 400, 'bad path\n');
    if (rel.endsWith('/')) rel += 'index.html';
    const file = normalize(join(root, rel));
    if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) {
      return sendText(res, 404, 'not found\n');
    }
    let data: Buffer;
    try {
      if (!(await stat(file)).isFile()) return sendText(res, 404, 'not found\n');
      data = await readFile(file);
    } catch {
      return sendText(res, 404, 'not found\n');
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': data.length,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(head ? undefined : data);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, PLAY_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    token,
    url: `http://${PLAY_HOST}:${port}/?token=${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function hostAllowed(host: string | undefined, port: number): boolean {
  return host === `${PLAY_HOST}:${port}` || host === `localhost:${port}`;
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error(`the body is larger than ${limit} bytes`));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Open `url` in the desktop's browser, where there is a desktop; a failure is only reported. */
export function openBrowser(url: string, onError: (message: string) => void): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return;
  try {
    const child = spawn(cmd as string, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', (e) => onError(`could not open a browser (${e.message}): open the URL above`));
    child.unref();
  } catch (e) {
    onError(`could not open a browser (${(e as Error).message}): open the URL above`);
  }
}

/** Parse --port: an integer 0..65535 (0: any free port). */
export function parsePort(text: string | undefined): number {
  if (text === undefined) return 0;
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new RangeError(`--port must be a port number (0–65535), not "${text}"`);
  }
  return Number(text);
}

/** `iomux play`'s body: serve until SIGINT or SIGTERM (then 0). */
export async function playCommand(
  cli: Cli,
  opts: { port?: string; root?: string; open: boolean },
): Promise<number> {
  let port: number;
  try {
    port = parsePort(opts.port);
  } catch (e) {
    throw new CliError(`play: ${(e as Error).message}`);
  }
  const root = opts.root ?? defaultWebRoot();
  const problem = webRootProblem(root);
  if (problem) throw new CliError(`play: ${problem}`);
  let play: PlayServer;
  try {
    play = await startPlay({ port, root });
  } catch (e) {
    throw new CliError(`play: cannot listen on ${PLAY_HOST}:${port}: ${(e as Error).message}`);
  }
  cli.out(`iomux playground: ${play.url}`);
  cli.out(cli.style.dim(`(on ${PLAY_HOST} only; the token in the URL is the key. Ctrl-C stops it.)`));
  if (opts.open) openBrowser(play.url, (m) => cli.err(`iomux: ${m}`));
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await play.close();
  return 0;
}
