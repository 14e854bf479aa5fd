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

export interface CliIO {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Readonly<Record<string, string | undefined>>;
  signals: SignalSource;
  /** Relative paths (scenario, --out, --credentials, compare files) start here. */
  cwd: string;
}

export const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Writes `text` with exactly one trailing newline. */
export function writeLine(stream: OutputStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}
