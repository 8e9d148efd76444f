#!/usr/bin/env node
// The `iomux` command: registers tsx's loader, then runs the TypeScript entry point as is.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
