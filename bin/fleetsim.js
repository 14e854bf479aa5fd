#!/usr/bin/env node
// Launcher for `npx fleetsim`: runs the compiled JavaScript in dist/ (`npm run build`, which
// `prepare` runs on npm ci/install), so starting the CLI compiles nothing. A TypeScript scenario
// gets tsx registered only when it is loaded (src/scenario/typescript-loader.ts). Importing
// dist/bin.js directly keeps signals (Ctrl-C) going straight to the real program.
const entry = new URL('../dist/bin.js', import.meta.url);
try {
  await import(entry.href);
} catch (error) {
  // Only a missing build is explained here; anything else is the program's own failure.
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes(entry.pathname)) throw error;
  process.stderr.write('fleetsim: dist/ is missing: run `npm run build` in the fleetsim checkout (or `npm run dev --` to run from source)\n');
  process.exit(4);
}
