/**
 * Loads a scenario file (.ts/.mts/.js default export, or .json), applies command-line
 * overrides, validates everything and returns the frozen {@link Scenario}. Every problem is
 * reported at once as a `bad_scenario` FleetsimError, one issue per line, prefixed by its path.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FleetsimError } from '../core/errors.js';
import { parseDuration } from './duration.js';
import { formatIssues } from './issues.js';
import { scenarioSchema, type Scenario } from './schema.js';
import { ensureTypeScriptLoader, TYPESCRIPT_EXTENSIONS } from './typescript-loader.js';

/** Command-line overrides; each replaces what the file says. */
export interface ScenarioOverrides {
  /** Peak agents: sets agents.count and rescales every phase `to` proportionally. */
  agents?: number;
  duration?: string | number;
  seed?: string | number;
  /** Agent API of the fleet (`--protocol`): sets agents.protocol. */
  protocol?: string;
  /** A real target; drops the file's embedded-only `server` block (embedded-only faults then fail validation; network faults run through the proxy). */
  target?: { url: string; credentials: string };
  /** `--source-addresses`, already parsed: replaces the file's `sourceAddresses`. */
  sourceAddresses?: readonly string[];
}

const CODE_EXTENSIONS = new Set(['.ts', '.mts', '.js', '.mjs']);
const HINT = 'fix the listed fields; the format is described in README.md (Scenarios)';

/** Validates an already-loaded scenario object. `source` names it in the error message. */
export function validateScenario(input: unknown, source: string): Scenario {
  const result = scenarioSchema.safeParse(input, { reportInput: true });
  if (!result.success) {
    const issues = formatIssues(result.error.issues, scenarioSchema);
    const noun = issues.length === 1 ? 'problem' : 'problems';
    throw new FleetsimError('bad_scenario', `${source}: ${issues.length} ${noun} in the scenario`, { issues, hint: HINT });
  }
  return deepFreeze(result.data) as Scenario;
}

/** Where relative scenario paths start (default: the process's working directory). */
export interface LoadOptions {
  cwd?: string;
}

/** Reads, overrides and validates a scenario file. */
export async function loadScenario(file: string, overrides: ScenarioOverrides = {}, options: LoadOptions = {}): Promise<Scenario> {
  const raw = await readScenarioFile(file, options);
  return validateScenario(applyOverrides(raw, overrides), file);
}

/**
 * Returns the file's scenario object, unvalidated. Missing files, syntax errors and errors the
 * module throws while loading are bad_scenario, with the module's own message and location.
 *
 * Code files are loaded with `import()`. TypeScript files first get tsx registered for both
 * module systems (typescript-loader.ts), so a `.ts` file in a folder without `"type": "module"`
 * (loaded as CommonJS) works as well as an ES module, from any folder. `.js`/`.mjs` files load
 * with Node alone, so one that imports a `.ts` module fails with a hint to rename it `.ts`.
 */
export async function readScenarioFile(file: string, options: LoadOptions = {}): Promise<unknown> {
  const path = resolve(options.cwd ?? process.cwd(), file);
  const ext = extname(path).toLowerCase();
  if (ext !== '.json' && !CODE_EXTENSIONS.has(ext)) {
    throw new FleetsimError('bad_scenario', `${file}: unsupported scenario file type "${ext || '(none)'}"`, {
      hint: 'use a .ts, .mts, .js or .json file',
    });
  }
  try {
    if (!(await stat(path)).isFile()) throw new Error('not a file');
  } catch {
    throw new FleetsimError('bad_scenario', `scenario file not found: ${file}`, { hint: 'check the path (it is relative to the current directory)' });
  }
  if (ext === '.json') {
    const text = await readFile(path, 'utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new FleetsimError('bad_scenario', `${file}: not valid JSON: ${(error as Error).message}`, { cause: error });
    }
  }
  let module: Record<string, unknown>;
  try {
    module = await importScenarioModule(path, ext);
  } catch (error) {
    throw moduleLoadError(file, path, error);
  }
  if (module.default === undefined) {
    throw new FleetsimError('bad_scenario', `${file}: no default export`, {
      hint: 'end the file with `export default defineScenario({ ... })`',
    });
  }
  return unwrapCommonJsDefault(module.default);
}

/** Imports a scenario module; a TypeScript file gets the TypeScript loader first. */
async function importScenarioModule(path: string, ext: string): Promise<Record<string, unknown>> {
  if (TYPESCRIPT_EXTENSIONS.has(ext)) await ensureTypeScriptLoader();
  return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
}

/**
 * A TypeScript file compiled as CommonJS (no `"type": "module"` nearby) arrives through
 * `import()` as `{ default: module.exports }`, where `module.exports` is the compiled
 * `{ __esModule: true, default: scenario }`.
 */
function unwrapCommonJsDefault(value: unknown): unknown {
  if (isObj(value) && (value as { __esModule?: unknown }).__esModule === true && 'default' in value) return value.default;
  return value;
}

/** fleetsim's own sources: their frames (the loader, defineScenario) never locate a user's error. */
const FLEETSIM_SRC = fileURLToPath(new URL('../', import.meta.url));

const NOT_FOUND = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']);

/**
 * The scenario module's own failure, said plainly: its message (first line) and where it
 * happened (file:line:column from the stack or the compiler's message), not the loader's stack.
 */
function moduleLoadError(file: string, path: string, error: unknown): FleetsimError {
  const e = error as { message?: unknown; stack?: unknown; code?: unknown } | undefined;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  // tsx/esbuild syntax errors read "Transform failed with 1 error:\n<file>:2:18: ERROR: <what>".
  const compiler = /: ERROR: (.+)/.exec(message)?.[1];
  const lines = message
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  // A heading such as "Transform failed with 1 error:" says nothing without the line after it.
  const headline = lines[0]?.endsWith(':') && lines[1] ? `${lines[0]} ${lines[1]}` : (lines[0] ?? message);
  const firstLine = compiler ? `syntax error: ${compiler}` : headline;
  const location = errorLocation(path, `${message}\n${typeof e?.stack === 'string' ? e.stack : ''}`);
  const where = location && !firstLine.includes(location) ? ` (at ${location})` : '';
  const code = typeof e?.code === 'string' ? e.code : '';
  const hint =
    NOT_FOUND.has(code) && /['"]fleetsim['"]/.test(message)
      ? 'install fleetsim in the project that holds the scenario: npm i -D fleetsim'
      : code === 'ERR_UNKNOWN_FILE_EXTENSION' && /"\.m?ts"/.test(message)
        ? 'a JavaScript scenario is loaded without TypeScript support: name the scenario file .ts (or .mts) to import TypeScript modules from it'
        : 'fix the scenario file (or a module it imports); it must be valid TypeScript/JavaScript with a default export';
  return new FleetsimError('bad_scenario', `${file}: the scenario module failed to load: ${firstLine}${where}`, { cause: error, hint });
}

/**
 * `path:line:column` of the failure: the first mention of the scenario file itself, else the
 * first frame outside node internals and node_modules (a helper module the scenario imports).
 */
export function errorLocation(path: string, text: string): string | undefined {
  const frames = [...text.matchAll(/(?<=^|[\s(])(?:file:\/\/)?(\/[^\s():]+?):(\d+):(\d+)/gm)].map((m) => ({
    file: decodeURIComponent(m[1]!),
    at: `${decodeURIComponent(m[1]!)}:${m[2]}:${m[3]}`,
  }));
  const own = frames.find((f) => f.file === path);
  if (own) return own.at;
  return frames.find((f) => !f.file.includes('/node_modules/') && !f.file.startsWith(FLEETSIM_SRC))?.at;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Returns a copy of the raw scenario with the overrides applied. Non-object input is returned
 * as is, so validation reports it.
 */
export function applyOverrides(raw: unknown, overrides: ScenarioOverrides): unknown {
  if (!isObj(raw)) return raw;
  const out: Record<string, unknown> = { ...raw };
  if (overrides.duration !== undefined) {
    Object.assign(out, rescaleTimeline(out, overrides.duration));
    out.duration = overrides.duration;
  }
  if (overrides.seed !== undefined) out.seed = overrides.seed;
  if (overrides.sourceAddresses !== undefined) out.sourceAddresses = [...overrides.sourceAddresses];
  if (overrides.protocol !== undefined) out.agents = { ...(isObj(out.agents) ? out.agents : {}), protocol: overrides.protocol };
  if (overrides.target !== undefined) {
    out.target = { ...overrides.target };
    delete out.server;
  }
  if (overrides.agents !== undefined) {
    const agents = isObj(out.agents) ? { ...out.agents } : {};
    const target = overrides.agents;
    if (Array.isArray(agents.phases)) {
      const tos = agents.phases.map((p) => (isObj(p) && typeof p.to === 'number' ? p.to : undefined));
      const original = typeof agents.count === 'number' ? agents.count : tos.every((t) => t !== undefined) ? Math.max(0, ...(tos as number[])) : undefined;
      if (original !== undefined && original > 0) {
        agents.phases = agents.phases.map((p) => (isObj(p) && typeof p.to === 'number' ? { ...p, to: Math.round((p.to * target) / original) } : p));
      }
    }
    agents.count = target;
    out.agents = agents;
    if (isObj(out.server) && typeof out.server.agents === 'number' && out.server.agents < target) {
      out.server = { ...out.server, agents: target };
    }
  }
  return out;
}

/** A duration in ms, or undefined when it does not parse (validation will report it). */
function tryDuration(value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  try {
    return parseDuration(value);
  } catch {
    return undefined;
  }
}

/**
 * `--duration` stretches or squeezes the whole timeline, as `--agents` rescales counts: phase
 * lengths, ramps, fault times and the REST window keep their proportions, so a shorter run of
 * the same scenario still ramps, holds and injects its faults.
 */
function rescaleTimeline(raw: Record<string, unknown>, duration: string | number): Record<string, unknown> {
  const before = tryDuration(raw.duration);
  const after = tryDuration(duration);
  if (before === undefined || after === undefined || before <= 0 || before === after) return {};
  const scale = (value: unknown): unknown => {
    const ms = tryDuration(value);
    return ms === undefined ? value : Math.round((ms * after) / before);
  };
  const out: Record<string, unknown> = {};
  if (isObj(raw.agents)) {
    const agents = { ...raw.agents };
    if (Array.isArray(agents.phases)) {
      agents.phases = agents.phases.map((p) => (isObj(p) && 'duration' in p ? { ...p, duration: scale(p.duration) } : p));
    }
    if ('rampUp' in agents) agents.rampUp = scale(agents.rampUp);
    if ('rampDown' in agents) agents.rampDown = scale(agents.rampDown);
    out.agents = agents;
  }
  // A fault's start and its window (a proxy action's `duration`, a restart's `downFor`) keep
  // their place in the run; a latency's `ms` is a property of the link, not of the timeline.
  if (Array.isArray(raw.faults)) {
    out.faults = raw.faults.map((f) => {
      if (!isObj(f)) return f;
      const fault = { ...f };
      for (const key of ['at', 'duration', 'downFor'] as const) if (key in fault) fault[key] = scale(fault[key]);
      return fault;
    });
  }
  if (isObj(raw.rest)) {
    const rest = { ...raw.rest };
    if ('startAfter' in rest) rest.startAfter = scale(rest.startAfter);
    if ('duration' in rest) rest.duration = scale(rest.duration);
    out.rest = rest;
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
