/**
 * Failure classes used as the `class` tag of METRIC.error. A failure is data, never an exception.
 *
 * - `http_<status>`   a response with an unexpected status (e.g. `http_500`)
 * - `rate_limited`    HTTP 429
 * - `timeout`         no answer in time
 * - `reset`           connection reset / closed mid-request (ECONNRESET, EPIPE, socket hang up)
 * - `refused`         ECONNREFUSED (dead target)
 * - `ws_close_<code>` a WebSocket closed by the peer with that code (e.g. `ws_close_1011`)
 * - `protocol`        a response we could not understand (bad JSON, wrong shape)
 *
 * The v2 agent API (dRPC over yamux over one WebSocket, docs/protocol-v2.md §1-§2) adds:
 *
 * - `drpc_<code>`     the server answered an RPC with a dRPC Error packet (coderd's handler
 *                     errors are `drpc_0`; `drpc_12` is Unimplemented)
 * - `drpc_eof`        the RPC ended without its response; `drpc_protocol` bad dRPC framing
 * - `yamux_rst`       the RPC's yamux stream was reset
 * - `yamux_goaway`    the server sent GoAway (no new streams, or the session ends)
 * - `yamux_closed`    the session ended under an RPC in flight
 * - `yamux_timeout`   a keepalive ping or stream open was not answered in time
 * - `yamux_protocol`  bad yamux framing from the server
 * - `decode`          a response that is not valid protobuf for its message
 * - `bad_manifest`    a Manifest a real agent would refuse (src/protocol/v2/manifest-check.ts)
 * - `coordinator_error` a CoordinateResponse carrying `error` text
 * - `ws_close_<code>` as above, for the session's WebSocket
 * - `other`           anything else (the message goes to the debug log, not the report)
 */
export type ErrorClass = string;

export function httpStatusClass(status: number): ErrorClass {
  return status === 429 ? 'rate_limited' : `http_${status}`;
}

export function wsCloseClass(code: number): ErrorClass {
  return `ws_close_${code}`;
}

const CODE_CLASSES: Record<string, ErrorClass> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ABORT_ERR: 'timeout',
  TimeoutError: 'timeout',
};

/** Classifies a thrown network error (undici, ws, net) by its code, walking `cause` chains. */
export function networkErrorClass(error: unknown): ErrorClass {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const { code, name, message } = current as { code?: unknown; name?: unknown; message?: unknown };
    if (typeof code === 'string' && CODE_CLASSES[code]) return CODE_CLASSES[code];
    if (typeof name === 'string' && CODE_CLASSES[name]) return CODE_CLASSES[name];
    if (typeof message === 'string' && /socket hang up|other side closed/i.test(message)) return 'reset';
    current = (current as { cause?: unknown }).cause;
  }
  return 'other';
}

/**
 * Classifies a failed WebSocket dial: an HTTP answer to the upgrade (`statusCode` on our dial
 * errors, or ws's "Unexpected server response: NNN") is `http_<status>`, a handshake timeout is
 * `timeout`, anything else goes by its network error code.
 */
export function wsDialErrorClass(error: unknown): ErrorClass {
  const e = error as { statusCode?: unknown; status?: unknown; message?: unknown } | undefined;
  const status = typeof e?.statusCode === 'number' ? e.statusCode : typeof e?.status === 'number' ? e.status : undefined;
  if (status !== undefined && status > 0) return httpStatusClass(status);
  const message = typeof e?.message === 'string' ? e.message : '';
  const match = /Unexpected server response: (\d{3})/.exec(message);
  if (match) return httpStatusClass(Number(match[1]));
  if (/timed? ?out/i.test(message)) return 'timeout';
  return networkErrorClass(error);
}

/**
 * Classifies a failed v2 RPC or session: the wire stack's typed errors carry their class
 * (`drpc_<code>`, `yamux_rst`, `yamux_goaway`, `ws_close_<code>`, `timeout`…, see
 * src/protocol/v2/wire-errors.ts); anything else goes by its network error code.
 */
export function rpcErrorClass(error: unknown): ErrorClass {
  const cls = (error as { errorClass?: unknown } | undefined)?.errorClass;
  if (typeof cls === 'string' && cls !== '') return cls;
  return networkErrorClass(error);
}

/**
 * True when an RPC failed only because the server does not have it (docs/protocol-v2.md §2.5):
 * dRPC code 12 (Unimplemented) or drpcmux's `unknown rpc: "<path>"` text. Coder's own clients
 * read both as "not supported".
 */
export function isUnsupportedRpc(error: unknown): boolean {
  const e = error as { errorClass?: unknown; message?: unknown } | undefined;
  if (e?.errorClass === 'drpc_12') return true;
  return typeof e?.errorClass === 'string' && e.errorClass.startsWith('drpc_') && typeof e.message === 'string' && e.message.includes('unknown rpc: ');
}
