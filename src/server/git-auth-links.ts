import type { ServerResponse } from 'node:http';
import type { GitAuthProvider } from './fixtures.js';

/**
 * Stored git-auth links per provider for the one workspace owner (protocol §5.5), and the
 * `listen` long polls waiting for one. `link()` plays the role of the user finishing the OAuth
 * flow; there is no server timeout, a client disconnect drops its poll silently, and server
 * close ends every poll's connection.
 */
export interface GitAuthLink {
  token: string;
  /** Epoch ms; a link whose expiry has passed does not release a listen poll. */
  expiresAt: number;
}

interface Waiter {
  providerId: string;
  res: ServerResponse;
  answer(link: GitAuthLink): void;
}

export class GitAuthLinks {
  private readonly links = new Map<string, GitAuthLink>();
  private readonly waiters = new Set<Waiter>();

  constructor(
    private readonly providers: readonly GitAuthProvider[],
    private readonly wallNow: () => number,
  ) {}

  get(providerId: string): GitAuthLink | undefined {
    return this.links.get(providerId);
  }

  /** Stores a link and releases the listen polls it satisfies. */
  link(opts: { providerId?: string; token?: string; expiresAtMs?: number } = {}): void {
    const providerId = opts.providerId ?? this.providers[0]?.id ?? 'github';
    const link = { token: opts.token ?? 'gho_fleetsimToken0000000000000000000000', expiresAt: opts.expiresAtMs ?? this.wallNow() + 3_600_000 };
    this.links.set(providerId, link);
    if (link.expiresAt <= this.wallNow()) return;
    for (const waiter of [...this.waiters]) {
      if (waiter.providerId !== providerId) continue;
      this.waiters.delete(waiter);
      waiter.answer(link);
    }
  }

  unlink(providerId?: string): void {
    if (providerId === undefined) this.links.clear();
    else this.links.delete(providerId);
  }

  /** Registers a listen poll; it is dropped when the client goes away. */
  wait(providerId: string, res: ServerResponse, answer: (link: GitAuthLink) => void): void {
    const waiter: Waiter = { providerId, res, answer };
    this.waiters.add(waiter);
    res.on('close', () => this.waiters.delete(waiter));
  }

  get waiting(): number {
    return this.waiters.size;
  }

  /** Server shutdown: every poll's connection is closed without an answer. */
  close(): void {
    for (const waiter of this.waiters) waiter.res.destroy();
    this.waiters.clear();
  }
}
