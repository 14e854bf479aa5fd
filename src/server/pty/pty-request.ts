/**
 * codersdk.ReconnectingPTYRequest as the agent decodes it (protocol §8.1): one struct reused for
 * every value in the stream, so a key left out keeps its previous value ([Q]); keys match
 * case-insensitively; any decode error ends that connection.
 */
export interface PtyRequest {
  data: string;
  height: number;
  width: number;
}

const FIELDS = ['data', 'height', 'width'] as const;

/** Applies one JSON value's text onto `req` in place; returns an error text on a Go decode error. */
export function applyPtyRequest(req: PtyRequest, text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  if (value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    return `json: cannot unmarshal ${Array.isArray(value) ? 'array' : typeof value} into Go value of type codersdk.ReconnectingPTYRequest`;
  }
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const field = FIELDS.find((f) => f === key) ?? FIELDS.find((f) => f === key.toLowerCase());
    if (!field || v === null) continue;
    if (field === 'data') {
      if (typeof v !== 'string') return typeError(v, 'data', 'string');
      req.data = v;
    } else {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) return typeError(v, field, 'uint16');
      req[field] = v;
    }
  }
  return undefined;
}

function typeError(v: unknown, field: string, type: string): string {
  const kind = Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v;
  const what = kind === 'number' ? `number ${String(v)}` : kind;
  return `json: cannot unmarshal ${what} into Go struct field ReconnectingPTYRequest.${field} of type ${type}`;
}
