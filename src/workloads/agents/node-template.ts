import { formatGoTime } from '../../protocol/go-time.js';
import { encodeNode } from '../../protocol/node-codec.js';
import { tagEndpoint, tagNode } from '../../protocol/node-tag.js';
import type { TailnetNode } from '../../protocol/tailnet-node.js';

const AS_OF_MARK = '__fleetsim_as_of__';
const TAG_MARK = '__fleetsim_tag__';

/**
 * An agent's node kept as its wire text, encoded once, with the positions of `as_of` and the tag
 * endpoint: `text(seq, t)` equals `encodeNode(tagNode(node, seq, t))` (pinned by a test).
 *
 * Memory: one flat string and four numbers instead of the Node's object graph (keys, arrays of
 * strings, the bigint id), about half the size; and a node update costs a few string slices
 * instead of a full encode.
 */
export class AgentNodeTemplate {
  private readonly wire: string;
  private readonly asOfAt: number;
  private readonly tagAt: number;

  constructor(node: TailnetNode) {
    const plain = (node.endpoints ?? []).filter((e) => !e.startsWith('[2001:db8::'));
    const wire = encodeNode({ ...node, as_of: AS_OF_MARK, endpoints: [...plain, TAG_MARK] });
    // indexOf flattens the concatenated string; the GC then drops the cons cells.
    this.asOfAt = wire.indexOf(AS_OF_MARK);
    this.tagAt = wire.indexOf(TAG_MARK);
    this.wire = wire;
  }

  /** The JSON text of the node tagged with `seq`, sent at `sentAtWallMs`. */
  text(seq: number, sentAtWallMs: number): string {
    const { wire, asOfAt, tagAt } = this;
    return (
      wire.slice(0, asOfAt) +
      formatGoTime(sentAtWallMs) +
      wire.slice(asOfAt + AS_OF_MARK.length, tagAt) +
      tagEndpoint(seq) +
      wire.slice(tagAt + TAG_MARK.length)
    );
  }

  /**
   * The tagged node as an object, for sockets without `sendRaw` (test doubles). A plain parse of
   * our own encoding (the int64 id kept exact), not Go's strict decode: doubles may use toy keys.
   */
  node(seq: number, sentAtWallMs: number): TailnetNode {
    const text = this.text(seq, sentAtWallMs).replace(/^\{"id":(-?\d+)/, '{"id":"$1"');
    const node = JSON.parse(text) as Omit<TailnetNode, 'id'> & { id: string };
    return { ...node, id: BigInt(node.id) };
  }
}

/** For the equality test: the slow path the template replaces. */
export function taggedNodeText(node: TailnetNode, seq: number, sentAtWallMs: number): string {
  return encodeNode(tagNode(node, seq, sentAtWallMs));
}
