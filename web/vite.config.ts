// The playground's build: Vite with Preact's preset, from web/ to dist/web/. `base: './'` makes
// every asset path relative, so the page works from any path (a static host's sub-directory,
// `iomux play`, a file server) with no configuration.

import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [preact()],
  resolve: { conditions: ['iomux-source'] },
  worker: { format: 'es' },
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
  },
});
