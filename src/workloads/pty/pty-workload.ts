import { sourceAddressAt } from '../../core/source-addresses.js';
import type { Workload, WorkloadContext } from '../workload.js';
import { dialPty, type PtyConnection, type PtyDialOptions } from './pty-dial.js';
import { PtySession } from './pty-session.js';
import type { ReplayVerdict } from './replay-check.js';
import { PTY_TICK_MS, type PtyConfig } from './section.js';
import { clockTimers, uuidV4 } from './timers.js';

/** The agent's replay ring (protocol §8.2). */
export const PTY_REPLAY_BYTES = 64 * 1024;

/** What the PTY workload needs besides its scenario section. */
export interface PtyRun {
  /** Agents active `elapsedMs` after the run started (credentials order); sessions follow them. */
  schedule: (elapsedMs: number) => number;
  /** How often the schedule is re-read (default PTY_TICK_MS, 250 ms). */
  tickMs?: number;
  /** The replay ring size the target keeps (default 64 KiB). */
  replayBytes?: number;
  /** Opens a PTY socket (default: dialPty). */
  dial?: (options: PtyDialOptions) => Promise<PtyConnection>;
  /** Source addresses (`--source-addresses`): session j of agent i binds entry (i × sessionsPerAgent + j) mod n. */
  localAddresses?: readonly string[];
}

/**
 * Terminal traffic (kind `pty`): `sessionsPerAgent` reconnecting-PTY sessions on every agent the
 * plan has active, from `startAfter` for `duration`, each typing at `bytesPerSecond` and
 * reconnecting every `reconnectEvery` (see pty-session.ts for what is measured). Sessions of an
 * agent that leaves the plan stop; the rest stop, drained and closed, at the end or the abort.
 */
export function createPtyWorkload(config: PtyConfig, run: PtyRun): Workload {
  return {
    kind: 'pty',
    async run(ctx: WorkloadContext): Promise<void> {
      const { clock, credentials, signal, log } = ctx;
      const timers = clockTimers(clock);
      const runStart = clock.now();
      const sessions = new Map<string, PtySession[]>();
      const running: Promise<void>[] = [];
      let loggedMismatch = false;
      const loggedDial = new Set<string>();
      log.addSecret(credentials.userToken);

      const onMismatch =
        (label: string) =>
        (v: ReplayVerdict, streamOffset: number): void => {
          if (loggedMismatch) return;
          loggedMismatch = true;
          const at = v.mismatchAt ?? 0;
          const what =
            v.expectedByte !== undefined
              ? `byte ${at} of ${v.expected} differs (expected ${v.expectedByte}, got ${v.receivedByte ?? 'nothing'})`
              : `cut short: ${v.received} of ${v.expected} bytes arrived`;
          log.warn(
            `pty: replay mismatch on ${label}: ${what}; replay window starts at output offset ${streamOffset}, so the first bad byte is output byte ${streamOffset + at} (further mismatches are counted, not logged)`,
          );
        };
      const onDialError =
        (label: string) =>
        (error: unknown, cls: string): void => {
          if (loggedDial.has(cls)) return;
          loggedDial.add(cls);
          log.warn(
            `pty: dial failed on ${label} (${cls}): ${log.redact(String((error as Error)?.message ?? error))} (further ${cls} failures are counted, not logged)`,
          );
        };

      const startAgent = (index: number): void => {
        const agent = credentials.agents[index];
        if (!agent || sessions.has(agent.id)) return;
        const list: PtySession[] = [];
        for (let i = 0; i < config.sessionsPerAgent; i++) {
          const rng = ctx.rng.fork(`pty/${agent.id}/${i}`);
          const label = `agent ${index} session ${i}`;
          const localAddress = sourceAddressAt(run.localAddresses ?? [], index * config.sessionsPerAgent + i);
          const session = new PtySession({
            dialOptions: {
              baseUrl: ctx.target.url,
              agentId: agent.id,
              reconnectId: uuidV4(rng.bytes(16)),
              width: config.width,
              height: config.height,
              command: config.command,
              token: credentials.userToken,
              tokenIn: config.auth,
              ...(localAddress ? { localAddress } : {}),
            },
            dial: run.dial ?? dialPty,
            bytesPerSecond: config.bytesPerSecond,
            messageSize: config.messageSize,
            jitter: config.jitter,
            reconnectEvery: config.reconnectEvery,
            replayBytes: run.replayBytes ?? PTY_REPLAY_BYTES,
            clock,
            timers,
            rng,
            metrics: ctx.metrics,
            onMismatch: onMismatch(label),
            onDialError: onDialError(label),
          });
          list.push(session);
          running.push(session.start());
        }
        sessions.set(agent.id, list);
      };
      const stopAgent = (id: string): void => {
        for (const s of sessions.get(id) ?? []) void s.stop();
        sessions.delete(id);
      };

      await new Promise<void>((resolve) => {
        let cancel: (() => void) | undefined;
        const endAt = runStart + config.startAfter + config.duration;
        const finish = (): void => {
          cancel?.();
          signal.removeEventListener('abort', finish);
          resolve();
        };
        const tick = (): void => {
          const elapsed = clock.now() - runStart;
          if (signal.aborted || clock.now() >= endAt) return finish();
          if (elapsed >= config.startAfter) {
            const active = Math.max(0, Math.min(credentials.agents.length, Math.floor(run.schedule(elapsed))));
            for (let i = 0; i < active; i++) startAgent(i);
            for (let i = active; i < credentials.agents.length; i++) {
              const id = credentials.agents[i]?.id;
              if (id !== undefined && sessions.has(id)) stopAgent(id);
            }
          }
          const wait = elapsed < config.startAfter ? config.startAfter - elapsed : (run.tickMs ?? PTY_TICK_MS);
          cancel = timers.after(Math.min(wait, Math.max(0, endAt - clock.now())), tick);
        };
        if (signal.aborted) return finish();
        signal.addEventListener('abort', finish);
        tick();
      });

      for (const id of [...sessions.keys()]) stopAgent(id);
      await Promise.all(running);
    },
  };
}
