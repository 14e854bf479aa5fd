import { formatGoTime } from './go-time.js';
import { encodeNode } from './node-codec.js';
import { TAG_PREFIX, TAG_SUFFIX, tagEndpoint } from './node-tag.js';
import type { TailnetNode } from './tailnet-node.js';

const AS_OF_MARK = '__fleetsim_as_of__';
const TAG_MARK = '__fleetsim_tag__';

/**
 * A node kept as its wire text, encoded once, with the positions of `as_of` and the tag endpoint:
 * `encode(seq, t)` equals `encodeNode(tagNode(node, seq, t))` (pinned by tests). Fake agents keep
 * one per agent and the peers' load generator one per sender.
 *
 * Memory: one flat string and two offsets instead of the Node's object graph (keys, arrays of
 * strings, the bigint id); a node update costs a few string slices instead of a full encode.
 */
export class TaggedNodeTemplate {
  private readonly wire: string;
  private readonly asOfAt: number;
  private readonly tagAt: number;

  constructor(node: TailnetNode) {
    const plain = (node.endpoints ?? []).filter((e) => !e.startsWith(TAG_PREFIX));
    const wire = encodeNode({ ...node, as_of: AS_OF_MARK, endpoints: [...plain, TAG_MARK] });
    // indexOf flattens the concatenated string; the GC then drops the cons cells.
    this.asOfAt = wire.indexOf(AS_OF_MARK);
    this.tagAt = wire.indexOf(TAG_MARK);
    this.wire = wire;
  }

  /** The JSON text of the node tagged with `seq`, sent at `sentAtWallMs`. */
  encode(seq: number, sentAtWallMs: number): string {
    const { wire, asOfAt, tagAt } = this;
    return (
      wire.slice(0, asOfAt) +
      formatGoTime(sentAtWallMs) +
      wire.slice(asOfAt + AS_OF_MARK.length, tagAt) +
      tagEndpoint(seq) +
      wire.slice(tagAt + TAG_MARK.length)
    );
  }
}

const TAG_START = `"${TAG_PREFIX}`;
const TAG_END = `${TAG_SUFFIX}"`;

/**
 * The tag seq of every node in a message (server → peer arrays), read straight from the text
 * without JSON parsing. Only endpoints carry `[2001:db8::…]:41641` strings, and the tag is the
 * last one of its node, so scanning for the marker is exact for coordinator output.
 */
export function readTagSeqs(text: string): number[] {
  const out: number[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf(TAG_START, from);
    if (start < 0) return out;
    const end = text.indexOf(TAG_END, start);
    if (end < 0) return out;
    const body = text.slice(start + TAG_START.length, end);
    const colon = body.indexOf(':');
    const seq = parseInt(body.slice(0, colon), 16) * 65536 + parseInt(body.slice(colon + 1), 16);
    if (Number.isFinite(seq)) out.push(seq);
    from = end + TAG_END.length;
  }
}
