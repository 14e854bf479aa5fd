import { createReferenceServer } from '../src/server/reference-server.js';
const n = Number(process.argv[2] ?? 1000);
const server = await createReferenceServer({ port: 0, agents: n, rateLimit: -1, heartbeatMs: 600000 });
process.send?.({ url: server.url, credentials: server.credentials });
process.once('disconnect', () => void server.close().then(() => process.exit(0)));
