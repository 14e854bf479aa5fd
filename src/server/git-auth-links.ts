import type { ServerResponse } from 'node:http';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { GitAuthProvider } from './fixtures.js';

/**
 * Stored git-auth links per provider for the one workspace owner (protocol §5.5), and the
 * `listen` long polls waiting for one. `link()` plays the role of the user finishing the OAuth
 * flow; there is no server timeout, a client disconnect drops its poll silently, and server
 * close ends every poll's connection.
 *
 * Nothing in coderd answers a poll by itself: a person has to open the URL and sign in. A
 * scenario run has no person, so {@link AutoLink} stands in for one: `answerAfterMs` after a
 * poll starts waiting on a provider with no pending sign-in, the owner "signs in" (a link valid
 * for `linkTtlMs`), which releases every poll waiting on that provider, as coderd's next
 * one-second check would. Off unless configured (tests link by hand).
 */
export interface GitAuthLink {
  token: string;
  /** Epoch ms; a link whose expiry has passed does not release a listen poll. */
  expiresAt: number;
}

/** The simulated owner who signs in to a provider some time after a poll starts waiting. */
export interface AutoLink {
  /** From a poll starting to wait (with no sign-in already pending) to the link (ms). */
  answerAfterMs: number;
  /** How long each such link stays valid (ms); once expired, the next lookup waits again. */
  linkTtlMs: number;
}

interface Waiter {
  providerId: string;
  res: ServerResponse;
  /** external-auth only: the invalid link seen at request time; a poll wants a different one. */
  previous: GitAuthLink | undefined;
  answer(link: GitAuthLink): void;
}

export class GitAuthLinks {
  private readonly links = new Map<string, GitAuthLink>();
  private readonly waiters = new Set<Waiter>();
  /** Pending simulated sign-ins, per provider. */
  private readonly signIns = new Map<string, TimerHandle>();
  private serial = 0;

  constructor(
    private readonly providers: readonly GitAuthProvider[],
    private readonly clock: Pick<Clock, 'wallNow' | 'setTimeout' | 'clearTimeout'>,
    private readonly auto?: AutoLink,
  ) {}

  get(providerId: string): GitAuthLink | undefined {
    return this.links.get(providerId);
  }

  /** Stores a link and releases the listen polls it satisfies. */
  link(opts: { providerId?: string; token?: string; expiresAtMs?: number } = {}): void {
    const providerId = opts.providerId ?? this.providers[0]?.id ?? 'github';
    const now = this.clock.wallNow();
    const link = { token: opts.token ?? 'gho_fleetsimToken0000000000000000000000', expiresAt: opts.expiresAtMs ?? now + 3_600_000 };
    this.links.set(providerId, link);
    if (link.expiresAt <= now) return;
    for (const waiter of [...this.waiters]) {
      if (waiter.providerId !== providerId) continue;
      if (waiter.previous && waiter.previous.token === link.token && waiter.previous.expiresAt === link.expiresAt) continue;
      this.waiters.delete(waiter);
      waiter.answer(link);
    }
  }

  unlink(providerId?: string): void {
    if (providerId === undefined) this.links.clear();
    else this.links.delete(providerId);
  }

  /**
   * Registers a listen poll; it is dropped when the client goes away. `previous` (external-auth)
   * is the invalid link the request saw: only a different link answers it.
   */
  wait(providerId: string, res: ServerResponse, answer: (link: GitAuthLink) => void, previous?: GitAuthLink): void {
    const waiter: Waiter = { providerId, res, previous, answer };
    this.waiters.add(waiter);
    res.on('close', () => this.waiters.delete(waiter));
    this.scheduleSignIn(providerId);
  }

  get waiting(): number {
    return this.waiters.size;
  }

  /** Server shutdown: every poll's connection is closed without an answer. */
  close(): void {
    for (const timer of this.signIns.values()) this.clock.clearTimeout(timer);
    this.signIns.clear();
    for (const waiter of this.waiters) waiter.res.destroy();
    this.waiters.clear();
  }

  private scheduleSignIn(providerId: string): void {
    const auto = this.auto;
    if (!auto || this.signIns.has(providerId)) return;
    const timer = this.clock.setTimeout(() => {
      this.signIns.delete(providerId);
      // A new token each time, so an external-auth poll that saw the expired one is answered.
      this.serial++;
      const token = `gho_fleetsimAuto${String(this.serial).padStart(22, '0')}`;
      this.link({ providerId, token, expiresAtMs: this.clock.wallNow() + auto.linkTtlMs });
    }, auto.answerAfterMs);
    this.signIns.set(providerId, timer);
  }
}
