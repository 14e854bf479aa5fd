import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { FleetsimError } from '../../src/core/errors.js';
import { METRIC } from '../../src/metrics/names.js';
import { parseListenAddress, startMetricsServer, type MetricsServer } from '../../src/observe/metrics-server.js';
import { createPromFeed } from '../../src/observe/prom-feed.js';
import { createRunRegistry } from '../../src/observe/prom-registry.js';
import { parseExposition, sampleValue } from './exposition.js';

const servers: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function get(url: string, method = 'GET'): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('parseListenAddress', () => {
  it('defaults to loopback and accepts explicit hosts', () => {
    expect(parseListenAddress('9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListenAddress(':9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListenAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListenAddress('0.0.0.0:9464')).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(parseListenAddress('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(parseListenAddress('localhost:9464')).toEqual({ host: 'localhost', port: 9464 });
  });

  it('rejects malformed addresses as usage errors', () => {
    for (const bad of ['', 'abc', '127.0.0.1:', '127.0.0.1:70000', '::1:9464', 'a b:1', '127.0.0.1:-1']) {
      expect(() => parseListenAddress(bad), bad).toThrow(FleetsimError);
    }
    try {
      parseListenAddress('x:y');
    } catch (error) {
      expect((error as FleetsimError).exitCode).toBe(2);
    }
  });
});

describe('metrics server', () => {
  it('serves the registry at /metrics in the Prometheus text format, and nothing else', async () => {
    const feed = createPromFeed();
    feed.count(METRIC.agentsAuthenticated, 3);
    const server = await startMetricsServer(createRunRegistry({ feed }), { host: '127.0.0.1', port: 0 });
    servers.push(server);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const scraped = await get(server.url);
    expect(scraped.status).toBe(200);
    expect(scraped.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(sampleValue(parseExposition(scraped.body), 'fleetsim_agents_authenticated_total')).toBe(3);
    feed.count(METRIC.agentsAuthenticated, 2);
    expect(sampleValue(parseExposition((await get(server.url)).body), 'fleetsim_agents_authenticated_total')).toBe(5);
    expect((await get(server.url.replace('/metrics', '/'))).status).toBe(404);
    expect((await get(server.url, 'POST')).status).toBe(405);
  });

  it('stops listening when closed', async () => {
    const server = await startMetricsServer(createRunRegistry({ feed: createPromFeed() }), { host: '127.0.0.1', port: 0 });
    expect((await get(server.url)).status).toBe(200);
    await server.close();
    await server.close();
    await expect(get(server.url)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('a taken port is a harness error naming the address', async () => {
    const first = await startMetricsServer(createRunRegistry({ feed: createPromFeed() }), { host: '127.0.0.1', port: 0 });
    servers.push(first);
    const error = await startMetricsServer(createRunRegistry({ feed: createPromFeed() }), first.address).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FleetsimError);
    expect((error as FleetsimError).code).toBe('harness');
    expect((error as FleetsimError).message).toContain(`127.0.0.1:${first.address.port}`);
  });
});
