import { createRequire } from 'node:module';

/** fleetsim's own version, from package.json (written into every report's meta). */
export const FLEETSIM_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
