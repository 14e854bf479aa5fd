/**
 * Where fleetsim's own code runs from. The CLI and the package run the compiled JavaScript in
 * dist/ (`npm run build`); development, vitest and the benches run the TypeScript in src/
 * through tsx or vite. A module that starts another of fleetsim's modules in a child process
 * (the embedded server, workers) asks here for the right file and Node flags, so a parent from
 * dist/ starts a plain `node` child from dist/ and a parent from src/ a tsx child from src/.
 */
import { fileURLToPath } from 'node:url';

/**
 * True when this code is the TypeScript source (run by tsx or vitest), false when it is the
 * build in dist/. Something already compiles TypeScript in the first case, nothing in the second.
 */
export const FROM_SOURCE: boolean = import.meta.url.endsWith('.ts');

/** What `child_process.fork` needs to run one of fleetsim's own modules. */
export interface OwnModule {
  /** Absolute file path. */
  path: string;
  /** Node flags: tsx's loader when running from source, none from dist/. */
  execArgv: string[];
}

/**
 * One of fleetsim's own modules as a forkable file. `specifier` is written as in an import
 * (`./child-entry.js`, relative to `base`, the caller's `import.meta.url`); from source the
 * `.ts` file beside it is used instead, with tsx registered in the child.
 */
export function ownModule(specifier: string, base: string): OwnModule {
  if (!specifier.endsWith('.js')) throw new Error(`ownModule: expected a .js specifier, got ${specifier}`);
  if (!FROM_SOURCE) return { path: fileURLToPath(new URL(specifier, base)), execArgv: [] };
  return {
    path: fileURLToPath(new URL(specifier.replace(/\.js$/, '.ts'), base)),
    execArgv: ['--import', import.meta.resolve('tsx')],
  };
}
