import { TaggedNodeTemplate } from '../../protocol/tagged-node-template.js';
import type { TailnetNode } from '../../protocol/tailnet-node.js';

/**
 * An agent's node as a pre-encoded template (see TaggedNodeTemplate), plus an object form for
 * sockets without `sendRaw` (test doubles).
 */
export class AgentNodeTemplate extends TaggedNodeTemplate {
  /**
   * The tagged node as an object. A plain parse of our own encoding (the int64 id kept exact),
   * not Go's strict decode: doubles may use toy keys.
   */
  node(seq: number, sentAtWallMs: number): TailnetNode {
    const text = this.encode(seq, sentAtWallMs).replace(/^\{"id":(-?\d+)/, '{"id":"$1"');
    const node = JSON.parse(text) as Omit<TailnetNode, 'id'> & { id: string };
    return { ...node, id: BigInt(node.id) };
  }
}
