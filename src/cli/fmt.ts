// `iomux fmt FILE... [--to json|text] [--out FILE|DIR|-]`: convert syscall scripts between the
// JSON form and the text form (docs/script-format.md, "The text form"), by default to the other
// form. Every script is checked as `run` checks it; a malformed one is reported and not written.

import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { formatScriptJson } from '../script/record.ts';
import { formatScriptTextForm, parseScriptSource, scriptFormatOf } from '../script/text.ts';
import type { Cli } from './commands.ts';

export type ScriptForm = 'json' | 'text';

/** The file extension of each form. */
export const FORM_EXTENSION: Readonly<Record<ScriptForm, string>> = { json: '.json', text: '.iomux' };

/**
 * Convert `paths` (`-` is standard input) to `to` (undefined: each to the form it is not in).
 * One script goes to `out` (a file, a directory, or `-` for standard output, the default);
 * several need `out` to be a directory, where each keeps its name with the new form's extension.
 * Returns the exit status: 0 every script converted, 2 one was malformed or unreadable.
 */
export async function formatFiles(
  cli: Cli,
  paths: readonly string[],
  to: ScriptForm | undefined,
  out: string,
  usage: (message: string) => Error,
): Promise<number> {
  const toDir = out !== '-' && (paths.length > 1 || out.endsWith('/') || (await isDirectory(out)));
  if (paths.length > 1 && !toDir) throw usage('fmt: several scripts need --out DIR');
  if (toDir) await mkdir(out, { recursive: true });
  let status = 0;
  for (const path of paths) {
    let text: string;
    try {
      text = path === '-' ? await cli.io.readStdin() : await readFile(path, 'utf8');
    } catch (e) {
      cli.err(
        `iomux: fmt: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
      status = 2;
      continue;
    }
    const from = scriptFormatOf(path, text);
    let script: ReturnType<typeof parseScriptSource>;
    try {
      script = parseScriptSource(path, text);
    } catch (e) {
      if (!(e instanceof Error) || e.name !== 'ScriptError') throw e;
      cli.err(`${cli.style.bad('malformed')} ${path}: ${e.message}`);
      status = 2;
      continue;
    }
    const form = to ?? (from === 'json' ? 'text' : 'json');
    const converted = form === 'json' ? formatScriptJson(script.source) : formatScriptTextForm(script.source);
    if (out === '-') {
      cli.io.stdout.write(converted);
      continue;
    }
    const name = path === '-' ? 'stdin' : basename(path, extname(path));
    const target = toDir ? join(out, `${name}${FORM_EXTENSION[form]}`) : out;
    await writeFile(target, converted);
    cli.err(`${path} → ${target} (${form === 'json' ? 'JSON' : 'text'} form, ${script.steps.length} steps)`);
  }
  return status;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
