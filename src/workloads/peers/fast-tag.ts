import { formatGoTime } from '../../protocol/go-time.js';
import { encodeNode } from '../../protocol/node-codec.js';
import { tagEndpoint } from '../../protocol/node-tag.js';
import type { TailnetNode } from '../../protocol/tailnet-node.js';

const AS_OF_MARK = '__fleetsim_as_of__';
const TAG_MARK = '__fleetsim_tag__';

/**
 * The wire text of one node, pre-encoded once, with holes for `as_of` and the tag endpoint, so a
 * load generator can emit tens of thousands of tagged updates per second without re-encoding.
 * `encode(seq, t)` equals `encodeNode(tagNode(node, seq, t))` (pinned by a test).
 */
export class TaggedNodeTemplate {
  private readonly head: string;
  private readonly middle: string;
  private readonly tail: string;

  constructor(node: TailnetNode) {
    const plain = (node.endpoints ?? []).filter((e) => !e.startsWith('[2001:db8::'));
    const text = encodeNode({ ...node, as_of: AS_OF_MARK, endpoints: [...plain, TAG_MARK] });
    const [head, rest] = text.split(AS_OF_MARK) as [string, string];
    const [middle, tail] = rest.split(TAG_MARK) as [string, string];
    this.head = head;
    this.middle = middle;
    this.tail = tail;
  }

  encode(seq: number, sentAtWallMs: number): string {
    return this.head + formatGoTime(sentAtWallMs) + this.middle + tagEndpoint(seq) + this.tail;
  }
}

const TAG_START = '"[2001:db8::';
const TAG_END = ']:41641"';

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
