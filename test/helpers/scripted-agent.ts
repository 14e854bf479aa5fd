import type { Clock } from '../../src/core/clock.js';
import { AGENT_IP, type TailnetNode } from '../../src/protocol/tailnet-node.js';
import type { CoordinateObserver } from '../../src/workloads/coordinate-observer.js';

/** What a scripted agent is made from (TestAgent and TestAgentV2 take the same). */
export type ScriptedAgentClass<A> = new (id: string, baseUrl: string, token: string, observer: CoordinateObserver, idNumber: bigint, clock: Clock) => A;

/**
 * The fixed node a scripted agent publishes: keys derived from `idNumber`, the legacy fixed agent
 * address (which the v2 coordinator also accepts from every agent, docs/protocol-v2.md §6.3).
 */
export function scriptedAgentNode(idNumber: bigint): TailnetNode {
  const hex = idNumber.toString(16).padStart(64, '0');
  return {
    id: idNumber,
    as_of: '2023-01-01T00:00:00Z',
    key: `nodekey:${hex}`,
    disco: `discokey:${hex}`,
    preferred_derp: 999,
    derp_latency: null,
    addresses: [`${AGENT_IP}/128`],
    allowed_ips: [`${AGENT_IP}/128`],
    endpoints: ['10.0.0.1:41641'],
  };
}

/**
 * The part of a scripted test agent that does not depend on the wire (v1 or v2): its node and
 * tagged publishing, reported to a CoordinateObserver exactly as a fleet does. Subclasses dial
 * and put one tagged update on the wire.
 */
export abstract class ScriptedAgent {
  private seq = 1;
  readonly node: TailnetNode;

  constructor(
    readonly id: string,
    protected readonly baseUrl: string,
    protected readonly token: string,
    protected readonly observer: CoordinateObserver,
    idNumber: bigint,
    /** The peers workload's clock: the ledger compares times from both sides. */
    protected readonly clock: Clock,
  ) {
    this.node = scriptedAgentNode(idNumber);
  }

  abstract connect(): Promise<void>;
  abstract disconnect(): Promise<void>;
  /** Puts update `seq`, stamped `atMs`, on the wire (dropped when not connected). */
  protected abstract sendTagged(seq: number, atMs: number): void;

  /** Publishes one tagged update; returns its seq. */
  publish(): number {
    const seq = this.seq++;
    const at = this.clock.wallNow();
    this.sendTagged(seq, at);
    this.observer.agentSent(this.id, seq, at);
    return seq;
  }
}
