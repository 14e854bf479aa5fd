import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentRpcUrl, dialAgentRpc } from '../../../src/client/v2/agent-rpc-dial.js';
import { wsDialErrorClass } from '../../../src/metrics/error-class.js';
import type { ReferenceServer } from '../../../src/server/reference-server.js';
import { startReferenceServer } from '../../helpers/loopback.js';

describe('dialAgentRpc', () => {
  let server: ReferenceServer;
  beforeAll(async () => {
    server = await startReferenceServer({ agents: 1, seed: 'dial-v2' });
  });
  afterAll(() => server.close());

  it('builds the /me/rpc URL with the version', () => {
    expect(agentRpcUrl('https://coder.example.com/', '2.2')).toBe('wss://coder.example.com/api/v2/workspaceagents/me/rpc?version=2.2');
  });

  it('sends the token as the coder_session_token cookie and the Coder-Session-Token header', async () => {
    let seen: IncomingMessage | undefined;
    const http = createServer();
    http.on('upgrade', (req, socket) => {
      seen = req;
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}');
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
      const error = await dialAgentRpc({ baseUrl: url, apiVersion: '2.2', token: 'tok-1', handshakeTimeoutMs: 5000 }).catch((e: unknown) => e);
      expect(wsDialErrorClass(error)).toBe('http_401');
      expect(seen?.url).toBe('/api/v2/workspaceagents/me/rpc?version=2.2');
      expect(seen?.headers.cookie).toBe('coder_session_token=tok-1');
      expect(seen?.headers['coder-session-token']).toBe('tok-1');
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  });

  it('is refused with 400 for a version the server does not speak, and opens for 2.2', async () => {
    const token = server.credentials.agents[0]!.token;
    const refused = await dialAgentRpc({ baseUrl: server.url, apiVersion: '9.0', token, handshakeTimeoutMs: 5000 }).catch((e: unknown) => e);
    expect(wsDialErrorClass(refused)).toBe('http_400');
    const transport = await dialAgentRpc({ baseUrl: server.url, apiVersion: '2.2', token, handshakeTimeoutMs: 5000 });
    expect(transport.writable).toBe(true);
    transport.close(1000);
  });
});
