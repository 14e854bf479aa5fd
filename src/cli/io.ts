/**
 * What a command may touch of the outside world, injected so the whole CLI runs in process
 * (tests pass captured streams and an EventEmitter for signals; bin.ts passes the process's).
 */
import type { StopSignal } from '../core/errors.js';

/** The part of a writable stream the CLI uses. */
export interface OutputStream {
  write(text: string): unknown;
  /** True when it is a terminal (enables the live progress line by default). */
  readonly isTTY?: boolean;
}

/** Where SIGINT / SIGTERM / SIGHUP arrive: `process` in bin.ts, an EventEmitter in tests. */
export interface SignalSource {
  on(signal: StopSignal, listener: () => void): unknown;
  off(signal: StopSignal, listener: () => void): unknown;
}

/**
 * The IPC channel to a parent fleetsim (`run --workers` starts each worker with one; bin.ts
 * passes `process` when it has one). Workers report readiness and progress on it, get the start
 * instant from it, and stop when it closes (the parent is gone).
 */
export interface ParentChannel {
  send(message: unknown): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'disconnect', listener: () => void): unknown;
  readonly connected: boolean;
}

export interface CliIO {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Readonly<Record<string, string | undefined>>;
  signals: SignalSource;
  /** Relative paths (scenario, --out, --credentials, compare files) start here. */
  cwd: string;
  /** Set when a parent fleetsim started this process as a local worker (`run --workers`). */
  parent?: ParentChannel;
}

export const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Writes `text` with exactly one trailing newline. */
export function writeLine(stream: OutputStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}
