/**
 * The payload of a dRPC InvokeMetadata packet (kind 7, docs/protocol-v2.md §2.7): key/value
 * pairs laid out like a protobuf `map<string, string>` at field 1, i.e. each entry is
 * `0x0a <len> 0x0a <klen> key 0x12 <vlen> value`. Coder's agent and CLI never send one, but a
 * server must accept it before an Invoke, so both directions live here.
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

/** Entries in the order given (dRPC appends; the order on the wire carries no meaning). */
export function encodeInvokeMetadata(entries: Iterable<readonly [string, string]>): Uint8Array {
  const w = new BinaryWriter();
  for (const [key, value] of entries) {
    w.tag(1, WireType.LengthDelimited).fork();
    w.tag(1, WireType.LengthDelimited).string(key);
    w.tag(2, WireType.LengthDelimited).string(value);
    w.join();
  }
  return w.finish();
}

/**
 * Entries in wire order; a repeated key keeps its last value, as a protobuf map would.
 * Unknown fields are skipped; malformed bytes throw.
 */
export function decodeInvokeMetadata(bytes: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    if (field !== 1 || wireType !== WireType.LengthDelimited) {
      r.skip(wireType, field);
      continue;
    }
    const entry = new BinaryReader(r.bytes());
    let key = '';
    let value = '';
    while (entry.pos < entry.len) {
      const [f, t] = entry.tag();
      if (f === 1 && t === WireType.LengthDelimited) key = entry.string();
      else if (f === 2 && t === WireType.LengthDelimited) value = entry.string();
      else entry.skip(t, f);
    }
    out.set(key, value);
  }
  return out;
}
