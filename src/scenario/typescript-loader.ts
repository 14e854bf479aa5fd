/**
 * TypeScript scenario files need a compiler in the process; fleetsim itself does not (it runs as
 * JavaScript from dist/). tsx is therefore registered here, once, only when a TypeScript scenario
 * is about to be imported, so `--version`, `plan x.json` and .js scenarios never pay for it.
 * Running from source (tsx, vitest), TypeScript already loads and nothing is registered.
 */
import { FROM_SOURCE } from '../core/own-module.js';

let registered: Promise<void> | undefined;

/** Extensions Node cannot import without a TypeScript loader. */
export const TYPESCRIPT_EXTENSIONS: ReadonlySet<string> = new Set(['.ts', '.mts']);

/**
 * Registers tsx for both module systems: a .ts file in a folder without `"type": "module"` is
 * compiled as CommonJS, and with only the ES-module hooks Node fails on it ("Cannot require()
 * ES Module ... in a cycle").
 */
export function ensureTypeScriptLoader(): Promise<void> {
  if (FROM_SOURCE) return Promise.resolve();
  registered ??= (async () => {
    const [esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
    esm.register();
    cjs.register();
  })();
  return registered;
}
