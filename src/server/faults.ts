import type { CoderResponse } from '../protocol/codersdk-response.js';

/**
 * Scriptable failures for tests and fault scenarios: make one endpoint (an ENDPOINT template
 * such as `POST /me/report-stats`) answer a given status on every Nth request. Faults apply
 * after the rate limiter and before authentication; a faulted request has no other effect.
 */
export interface Fault {
  status: number;
  /** Default: coderd's generic 500 body, or the rate-limit body for 429. */
  body?: CoderResponse;
  /** Fail every Nth request to the endpoint (default 1 = every request). */
  every?: number;
}

export interface FaultInjector {
  set(endpoint: string, fault: Fault): void;
  /** Clears one endpoint's fault, or all of them. */
  clear(endpoint?: string): void;
}

export class Faults implements FaultInjector {
  private readonly faults = new Map<string, { fault: Fault; seen: number }>();

  set(endpoint: string, fault: Fault): void {
    if (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 599) throw new Error(`fault status ${fault.status} is not an HTTP status`);
    this.faults.set(endpoint, { fault, seen: 0 });
  }

  clear(endpoint?: string): void {
    if (endpoint === undefined) this.faults.clear();
    else this.faults.delete(endpoint);
  }

  /** The fault to apply to this request, if any (counts the request). */
  take(endpoint: string): Fault | undefined {
    if (this.faults.size === 0) return undefined;
    const entry = this.faults.get(endpoint);
    if (!entry) return undefined;
    entry.seen++;
    const every = Math.max(1, Math.floor(entry.fault.every ?? 1));
    return entry.seen % every === 0 ? entry.fault : undefined;
  }
}
