export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/** One request; the body is read as text so exact bytes can be compared. */
export async function call(server: { url: string }, path: string, init: RequestInit & { token?: string } = {}): Promise<Answer> {
  const headers = new Headers(init.headers);
  if (init.token !== undefined) headers.set('Coder-Session-Token', init.token);
  const res = await fetch(`${server.url}${path}`, { ...init, headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

export function post(server: { url: string }, path: string, token: string | undefined, body: string): Promise<Answer> {
  return call(server, path, { method: 'POST', token, body, headers: { 'Content-Type': 'application/json' } });
}

export const ME = '/api/v2/workspaceagents/me';
export const AGENTS = '/api/v2/workspaceagents';
