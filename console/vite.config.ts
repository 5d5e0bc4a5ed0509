/**
 * Builds the web console into console/dist, which the API serves at `/`.
 * No inline scripts or styles are emitted (the API's Content-Security-Policy forbids them),
 * and hashed file names let the server cache assets for a year.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The module-preload polyfill would be an inline script; every target browser has it natively.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
