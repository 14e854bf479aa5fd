/**
 * In-process CLI harness: `main(argv, io)` with captured stdout/stderr and an EventEmitter for
 * signals, so tests see exactly what a user would and can act on what is printed.
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CliIO, OutputStream } from '../../src/cli/io.js';

export const REPO = join(import.meta.dirname, '..', '..');

export interface CapturedStream extends OutputStream {
  readonly text: string;
  /** Resolves with the first match of `pattern` in everything written so far or later. */
  waitFor(pattern: RegExp, guardMs?: number): Promise<RegExpMatchArray>;
}

export function captureStream(isTTY = false): CapturedStream {
  let text = '';
  const events = new EventEmitter();
  return {
    isTTY,
    get text() {
      return text;
    },
    write(chunk: string) {
      text += chunk;
      events.emit('write');
      return true;
    },
    waitFor(pattern, guardMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const match = pattern.exec(text);
          if (match) {
            events.off('write', check);
            clearTimeout(guard);
            resolve(match);
          }
          return Boolean(match);
        };
        // A guard so a broken run fails the test instead of hanging it; never a timing assertion.
        const guard = setTimeout(() => {
          events.off('write', check);
          reject(new Error(`${pattern} never appeared in:\n${text}`));
        }, guardMs);
        if (!check()) events.on('write', check);
      });
    },
  };
}

export interface TestIO extends CliIO {
  stdout: CapturedStream;
  stderr: CapturedStream;
  signals: EventEmitter;
}

export function testIO(overrides: Partial<Pick<CliIO, 'env' | 'cwd'>> & { tty?: boolean } = {}): TestIO {
  return {
    stdout: captureStream(overrides.tty),
    stderr: captureStream(overrides.tty),
    env: overrides.env ?? {},
    signals: new EventEmitter(),
    cwd: overrides.cwd ?? REPO,
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in process to completion. */
export async function runMain(argv: string[], io: TestIO = testIO()): Promise<CliResult> {
  const code = await main(argv, io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

/** Resolves once nothing listens to `signal` any more (the command has cleaned up). */
export function signalsReleased(signals: EventEmitter, signal = 'SIGINT'): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (signals.listenerCount(signal) === 0) {
        signals.off('removeListener', check);
        resolve();
      }
    };
    signals.on('removeListener', check);
    check();
  });
}
