#!/usr/bin/env node
// The `iomux` command. Installed from the package it runs the built JavaScript (dist/, made by
// `npm run build`). In a clone, where the TypeScript sources sit beside it, it runs them through
// tsx (a devDependency) instead, so the command always matches the sources being edited.
import { existsSync } from 'node:fs';

const sources = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(sources)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(sources.href);
} else {
  await import('../dist/cli/main.js');
}
