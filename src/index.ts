/**
 * fleetsim's programmatic API: run a scenario, define one with types, or start the embedded
 * reference server in-process (tests, other tools).
 */
export { runScenario, type RunOptions, type RunResult } from './runner/run-scenario.js';
export { defineScenario } from './scenario/define.js';
export { loadScenario } from './scenario/load.js';
export { createReferenceServer } from './server/reference-server.js';
export { startReferenceServerProcess } from './server/server-process.js';
export type { Credentials } from './protocol/credentials.js';
export type { FaultSummary, RunSummary } from './metrics/summary-types.js';
export type { FaultWindow, RecoveryOptions } from './metrics/recovery.js';
export { FleetsimError, EXIT } from './core/errors.js';
export { systemClock, ManualClock, type Clock, type Ticker, type TimerHandle } from './core/clock.js';
