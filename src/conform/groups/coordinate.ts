/**
 * Coordinate framing and routing (protocol §7): binary frames only (a text frame closes 1003),
 * one JSON array per update, streaming decode (split and packed values), exact int64 node ids,
 * the latest agent node for a late client, and the agent's overwrite close. Every check that
 * opens `/me/coordinate` takes the agent's connection and is left out by --safe.
 */
import { createRng } from '../../core/rng.js';
import { encodeNode, ZERO_DISCO_KEY, ZERO_NODE_KEY } from '../../protocol/node-codec.js';
import { createAgentNode, createClientNode } from '../../protocol/node-factory.js';
import type { TailnetNode } from '../../protocol/tailnet-node.js';
import { ensure, pass, type ConformCheck, type ConformContext, type ConformGroup } from '../check.js';
import { showText } from '../http-probe.js';
import { withSockets, type SocketScope } from '../sockets.js';
import type { WsMessage, WsProbe } from '../ws-probe.js';

export const TEXT_FRAME_REASON = 'unexpected frame type read (expected MessageBinary): MessageText';
/** Beyond Number.MAX_SAFE_INTEGER: a double would round both. */
const BIG_AGENT_ID = 9223372036854775807n;
const BIG_CLIENT_ID = 9007199254740993n;

const rng = createRng('fleetsim-conform');
const agentNode = (id?: bigint): TailnetNode => ({ ...createAgentNode(rng), ...(id === undefined ? {} : { id }) });
const clientNode = (id?: bigint): TailnetNode => ({ ...createClientNode(rng), ...(id === undefined ? {} : { id }) });

/** A received message as the report shows it. */
function show(message: WsMessage | undefined, probe: WsProbe): string {
  if (!message) return probe.closed ? `socket closed ${probe.closed.code} ${JSON.stringify(probe.closed.reason)} before a message` : 'no message';
  return `${message.binary ? 'binary' : 'text'} ${showText(message.data.toString('utf8'))}`;
}

/** The next message must be one binary frame holding exactly `text`. */
async function expectFrame(ctx: ConformContext, probe: WsProbe, text: string, who: string): Promise<void> {
  const message = await probe.next(ctx.waitMs);
  const expected = `${who}: binary ${showText(text)}`;
  const observed = `${who}: ${show(message, probe)}`;
  ensure(message?.binary === true && message.data.toString('utf8') === text, expected, observed);
}

function coordinateCheck(
  name: string,
  title: string,
  cite: string,
  body: (ctx: ConformContext, scope: SocketScope, key: string) => Promise<string>,
  mutates = true,
): ConformCheck {
  const id = `coordinate.${name}`;
  return {
    id,
    title,
    cite,
    mutates,
    run: (ctx) => withSockets(ctx, async (scope) => pass(await body(ctx, scope, id))),
  };
}

const array = (...nodes: TailnetNode[]): string => `[${nodes.map(encodeNode).join(',')}]`;

/** The zero Node Go writes back for `{}` (protocol §7.2). */
const ZERO_NODE_ARRAY = `[{"id":0,"as_of":"0001-01-01T00:00:00Z","key":"${ZERO_NODE_KEY}","disco":"${ZERO_DISCO_KEY}","preferred_derp":0,"derp_latency":null,"addresses":null,"allowed_ips":null,"endpoints":null}]`;

async function textFrameCloses(ctx: ConformContext, probe: WsProbe, who: string): Promise<string> {
  probe.send('{}', false);
  const closed = await probe.waitClose(ctx.waitMs);
  return compareClose(
    `${who} closed 1003 ${JSON.stringify(TEXT_FRAME_REASON)}`,
    closed ? `${who} closed ${closed.code} ${JSON.stringify(closed.reason)}` : `${who} still open after ${ctx.waitMs} ms`,
  );
}

function compareClose(expected: string, observed: string): string {
  ensure(expected === observed, expected, observed);
  return expected;
}

export const coordinateGroup: ConformGroup = {
  name: 'coordinate',
  describe: 'coordinate WebSocket framing, node ids and routing (§7)',
  checks: [
    coordinateCheck(
      'client-text-frame-closes-1003',
      'a text frame from a client closes its socket 1003',
      'protocol §7.1',
      async (ctx, scope, key) => textFrameCloses(ctx, await scope.client(ctx.agent(key)), 'client'),
      false,
    ),
    coordinateCheck('agent-text-frame-closes-1003', 'a text frame from the agent closes its socket 1003', 'protocol §7.1', async (ctx, scope, key) =>
      textFrameCloses(ctx, await scope.agent(ctx.agent(key)), 'agent'),
    ),
    coordinateCheck(
      'agent-node-to-client',
      "the agent's node reaches a client as one binary array, no newline",
      'protocol §7.1, §7.3',
      async (ctx, scope, key) => {
        const agent = ctx.agent(key);
        const a = await scope.agent(agent);
        const c = await scope.client(agent);
        const node = agentNode();
        a.send(encodeNode(node));
        await expectFrame(ctx, c, array(node), 'client');
        return `client: binary ${showText(array(node), 80)}`;
      },
    ),
    coordinateCheck('client-node-to-agent', "a client's node reaches the agent as one binary array", 'protocol §7.3, §7.4', async (ctx, scope, key) => {
      const agent = ctx.agent(key);
      const a = await scope.agent(agent);
      const c = await scope.client(agent);
      const node = clientNode();
      c.send(encodeNode(node));
      await expectFrame(ctx, a, array(node), 'agent');
      return `agent: binary ${showText(array(node), 80)}`;
    }),
    coordinateCheck('split-value', 'a Node split over two binary messages is decoded as one value', 'protocol §7.1', async (ctx, scope, key) => {
      const agent = ctx.agent(key);
      const a = await scope.agent(agent);
      const c = await scope.client(agent);
      const node = agentNode(BIG_AGENT_ID);
      const text = encodeNode(node);
      const cut = text.indexOf(String(BIG_AGENT_ID)) + 5; // inside the id's digits
      a.send(text.slice(0, cut));
      a.send(text.slice(cut));
      await expectFrame(ctx, c, array(node), 'client');
      return 'client: the whole node, once';
    }),
    coordinateCheck('packed-values', 'two Nodes in one binary message are two updates, in order', 'protocol §7.1, §7.4', async (ctx, scope, key) => {
      const agent = ctx.agent(key);
      const a = await scope.agent(agent);
      const c = await scope.client(agent);
      const first = agentNode();
      const second = agentNode();
      a.send(encodeNode(first) + encodeNode(second));
      await expectFrame(ctx, c, array(first), 'client (1st)');
      await expectFrame(ctx, c, array(second), 'client (2nd)');
      return 'client: [first] then [second]';
    }),
    coordinateCheck('int64-id-lossless', 'node ids beyond 2^53 arrive with every digit, both ways', 'protocol §7.2', async (ctx, scope, key) => {
      const agent = ctx.agent(key);
      const a = await scope.agent(agent);
      const c = await scope.client(agent);
      const fromAgent = agentNode(BIG_AGENT_ID);
      a.send(encodeNode(fromAgent));
      await expectFrame(ctx, c, array(fromAgent), 'client');
      const fromClient = clientNode(BIG_CLIENT_ID);
      c.send(encodeNode(fromClient));
      await expectFrame(ctx, a, array(fromClient), 'agent');
      return `ids ${BIG_AGENT_ID} and ${BIG_CLIENT_ID} exact`;
    }),
    coordinateCheck('late-client-latest-node', "a client that connects late gets the agent's latest node at once", 'protocol §7.4', async (ctx, scope, key) => {
      const agent = ctx.agent(key);
      const a = await scope.agent(agent);
      const witness = await scope.client(agent);
      const older = agentNode();
      const latest = agentNode();
      a.send(encodeNode(older));
      await expectFrame(ctx, witness, array(older), 'first client');
      a.send(encodeNode(latest));
      await expectFrame(ctx, witness, array(latest), 'first client');
      const late = await scope.client(agent);
      await expectFrame(ctx, late, array(latest), 'late client');
      return 'late client: [latest]';
    }),
    coordinateCheck(
      'unknown-keys-dropped',
      'a Node is re-encoded: unknown keys dropped, missing ones Go zero values',
      'protocol §7.2',
      async (ctx, scope, key) => {
        const agent = ctx.agent(key);
        const a = await scope.agent(agent);
        const c = await scope.client(agent);
        a.send('{"conform":true}');
        await expectFrame(ctx, c, ZERO_NODE_ARRAY, 'client');
        return 'client: the zero node';
      },
    ),
    coordinateCheck(
      'agent-gets-waiting-clients',
      'an agent that connects gets the waiting clients\u2019 nodes in one array',
      'protocol §7.4',
      async (ctx, scope, key) => {
        const agent = ctx.agent(key);
        const c = await scope.client(agent);
        const node = clientNode();
        c.send(encodeNode(node));
        const a = await connectAfterNodeStored(ctx, scope, agent);
        await expectFrame(ctx, a, array(node), 'agent');
        return 'agent: [client node]';
      },
    ),
    coordinateCheck('overwrite-closes-old-1000', 'a second agent socket replaces the first, which closes 1000', 'protocol §7.4', async (ctx, scope, key) => {
      const agent = ctx.agent(key);
      const first = await scope.agent(agent);
      await scope.agent(agent);
      const closed = await first.waitClose(ctx.waitMs);
      return compareClose(
        'first socket closed 1000 ""',
        closed ? `first socket closed ${closed.code} ${JSON.stringify(closed.reason)}` : `first socket still open after ${ctx.waitMs} ms`,
      );
    }),
    coordinateCheck(
      'invalid-node-closes-1011',
      'a Node that does not decode closes the socket 1011 with the decoder error',
      'protocol §7.2',
      async (ctx, scope, key) => {
        const a = await scope.agent(ctx.agent(key));
        a.send('{"id":"not a number"}');
        const closed = await a.waitClose(ctx.waitMs);
        const expected = 'agent closed 1011 "handle next agent message: read json: …"';
        ensure(
          closed !== undefined && closed.code === 1011 && closed.reason.startsWith('handle next agent message: read json: '),
          expected,
          closed ? `agent closed ${closed.code} ${JSON.stringify(closed.reason)}` : `still open after ${ctx.waitMs} ms`,
        );
        return expected;
      },
    ),
  ],
};

/**
 * Connects the agent after the client's node has reached the server. Frames from different
 * sockets have no order on the server, so wait one full HTTP round trip first: the node was
 * written before it started, and any server reads a waiting frame well within one.
 */
async function connectAfterNodeStored(ctx: ConformContext, scope: SocketScope, agent: ReturnType<ConformContext['agent']>): Promise<WsProbe> {
  await ctx.http.send({ path: '/api/v2/buildinfo' });
  return scope.agent(agent);
}
