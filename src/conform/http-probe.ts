/**
 * Raw HTTP for conformance checks: the exact status, headers and body text (the typed clients
 * in src/client/ parse bodies and count metrics, which would hide what the bytes were). One
 * undici Agent per run, closed at the end; a network failure is an observation, never a throw.
 */
import { Agent, request } from 'undici';

export type TokenPlace = 'header' | 'cookie' | 'query' | 'devcookie';

export interface ProbeRequest {
  method?: string;
  /** Path with query, from the origin (`/api/v2/...`). */
  path: string;
  headers?: Record<string, string>;
  /** Sent as is (a string) or JSON-encoded (anything else). */
  body?: unknown;
  /** Token positions of protocol §2.1, applied in the given order. */
  tokens?: readonly { token: string; place: TokenPlace }[];
}

export interface ProbeResponse {
  /** 0 when no answer arrived (then `error` says why). */
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  text: string;
  error?: string;
}

export interface HttpProbe {
  send(req: ProbeRequest): Promise<ProbeResponse>;
  close(): Promise<void>;
}

/** Applies token positions to a request: returns the path and headers to send. */
export function withTokens(req: ProbeRequest): { path: string; headers: Record<string, string> } {
  const headers: Record<string, string> = { ...req.headers };
  let path = req.path;
  const cookies: string[] = headers.cookie ? [headers.cookie] : [];
  for (const { token, place } of req.tokens ?? []) {
    if (place === 'header') headers['coder-session-token'] = token;
    else if (place === 'cookie') cookies.push(`coder_session_token=${token}`);
    else if (place === 'devcookie') cookies.push(`coder_devurl_session_token=${token}`);
    else path += `${path.includes('?') ? '&' : '?'}coder_session_token=${encodeURIComponent(token)}`;
  }
  if (cookies.length > 0) headers.cookie = cookies.join('; ');
  return { path, headers };
}

export function createHttpProbe(baseUrl: string, timeoutMs: number): HttpProbe {
  const dispatcher = new Agent({ connections: 16, keepAliveTimeout: 5_000, connectTimeout: timeoutMs });
  return {
    async send(req) {
      const { path, headers } = withTokens(req);
      let body: string | undefined;
      if (req.body !== undefined) {
        body = typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
        headers['content-type'] ??= 'application/json';
      }
      try {
        const res = await request(baseUrl + path, {
          dispatcher,
          method: (req.method ?? 'GET') as 'GET',
          headers,
          body,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        const text = await res.body.text();
        const out: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
        }
        return { status: res.statusCode, headers: out, text };
      } catch (error) {
        const e = error as { code?: string; message?: string };
        return { status: 0, headers: {}, text: '', error: e.code ?? e.message ?? String(error) };
      }
    },
    close: () => dispatcher.close().catch(() => dispatcher.destroy()),
  };
}

/** `401 {"message":…}\n` with the newline visible, cut to a readable length. */
export function describeResponse(res: ProbeResponse): string {
  if (res.status === 0) return `no answer (${res.error ?? 'unknown error'})`;
  return `${res.status} ${showText(res.text)}`.trimEnd();
}

/** Body text for a report line: newlines shown as \n, long bodies cut. */
export function showText(text: string, max = 240): string {
  const shown = text.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
  return shown.length > max ? `${shown.slice(0, max)}… (${text.length} chars)` : shown;
}
