// bench:scale's raw baseline: plain node + ws (no tsx, no fleetsim module), so its RSS is what
// idle WebSockets cost a bare process. It loads ws, prints `loaded`, opens `count` idle sockets
// on the agent coordinate route (token in the coder_session_token cookie, `dials` handshakes in
// flight, source addresses 127.0.0.1 … 127.0.0.N), prints `open <connected> <failed> <ms>` and
// holds them until stdin closes or SIGTERM, then closes them and exits.
//
//   node bench/raw-idle-client.mjs URL CREDENTIALS_JSON_PATH COUNT DIALS ADDRESSES
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

const [url, credentialsPath, countText, dialsText, addressesText] = process.argv.slice(2);
const agents = JSON.parse(readFileSync(credentialsPath, 'utf8')).agents.slice(0, Number(countText));
const dials = Number(dialsText);
const addresses = Array.from({ length: Math.max(1, Number(addressesText)) }, (_, i) => `127.0.0.${i + 1}`);
const target = `${url.replace(/^http/, 'ws')}/api/v2/workspaceagents/me/coordinate`;
const sockets = [];
let failed = 0;
let next = 0;

process.stdout.write('loaded\n');
// The parent samples this process's RSS now, before any socket.
await new Promise((resolve) => setTimeout(resolve, 1500));

const dialOne = (index) =>
  new Promise((resolve) => {
    const ws = new WebSocket(target, {
      headers: { cookie: `coder_session_token=${agents[index].token}` },
      perMessageDeflate: false,
      localAddress: addresses[index % addresses.length],
      handshakeTimeout: 30_000,
    });
    ws.on('open', () => {
      sockets.push(ws);
      resolve();
    });
    ws.on('error', () => {
      failed++;
      resolve();
    });
  });

const started = performance.now();
const worker = async () => {
  while (next < agents.length) await dialOne(next++);
};
await Promise.all(Array.from({ length: Math.min(dials, agents.length) }, worker));
process.stdout.write(`open ${sockets.length} ${failed} ${Math.round(performance.now() - started)}\n`);

const stop = () => {
  for (const ws of sockets) ws.terminate();
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
