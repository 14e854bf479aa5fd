#!/usr/bin/env node
// Launcher for `npx fleetsim`: registers tsx's ESM loader in this process and imports the
// TypeScript entry point, so the checkout works after `npm ci` with no build step and signals
// (Ctrl-C) reach the real program directly.
import { register } from 'tsx/esm/api';

register();
await import('../src/bin.ts');
