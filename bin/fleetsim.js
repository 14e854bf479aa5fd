#!/usr/bin/env node
// Launcher for `npx fleetsim`: registers tsx in this process and imports the TypeScript entry
// point, so the checkout (or an installed package) works with no build step and signals
// (Ctrl-C) reach the real program directly. tsx is registered for both module systems: a
// scenario .ts/.js in a folder without "type": "module" is compiled as CommonJS, and with only
// the ES-module hooks Node fails on it ("Cannot require() ES Module ... in a cycle").
import { register } from 'tsx/esm/api';
import { register as registerCommonJs } from 'tsx/cjs/api';

register();
registerCommonJs();
await import('../src/bin.ts');
