// Share links: the script and the step in the URL's hash, `#script=<base64url of the UTF-8
// script>&step=<n>`; compressed with deflate-raw and prefixed `z:` when that is shorter. Both
// forms are read.

export interface Shared {
  script: string;
  step: number;
}

function toBase64url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(s: string): Uint8Array {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function pipeThrough(bytes: Uint8Array, stream: CompressionStream | DecompressionStream) {
  const out = new Response(new Blob([new Uint8Array(bytes)]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

const canCompress = () => typeof CompressionStream === 'function';

/** The hash (without '#') for a script and step. */
export async function encodeShare({ script, step }: Shared): Promise<string> {
  const raw = new TextEncoder().encode(script);
  let value = toBase64url(raw);
  if (canCompress()) {
    const z = `z:${toBase64url(await pipeThrough(raw, new CompressionStream('deflate-raw')))}`;
    if (z.length < value.length) value = z;
  }
  return `script=${value}&step=${step}`;
}

/** The script and step of a hash (with or without '#'); null when it carries no script. */
export async function decodeShare(hash: string): Promise<Shared | null> {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const value = params.get('script');
  if (!value) return null;
  try {
    let bytes: Uint8Array;
    if (value.startsWith('z:')) {
      if (typeof DecompressionStream !== 'function') return null;
      bytes = await pipeThrough(fromBase64url(value.slice(2)), new DecompressionStream('deflate-raw'));
    } else bytes = fromBase64url(value);
    const script = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    const n = Number(params.get('step') ?? 0);
    return { script, step: Number.isInteger(n) && n >= 0 ? n : 0 };
  } catch {
    return null;
  }
}
