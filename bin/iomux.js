#!/usr/bin/env node
// The `iomux` command. Installed from the package it runs the built JavaScript: dist/cli/, one
// bundle split per command (scripts/build-cli.mjs), so each command loads only what it uses. In a
// clone, where the TypeScript sources sit beside it, it runs them through tsx (a devDependency)
// instead, so the command always matches the sources being edited.
import { existsSync } from 'node:fs';
import module from 'node:module';

// Node ≥ 22.1 keeps the compiled code on disk between runs (a no-op where it is missing: Node 20).
module.enableCompileCache?.();

const sources = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(sources)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(sources.href);
} else {
  await import('../dist/cli/main.js');
}
