/**
 * The status algorithm of protocol §6 as a client sees it through `GET /{id}`, with bounded
 * waits derived from the target's heartbeat (3 s on coderd; the embedded server runs with a
 * short one): connecting before the first connection, connected once the agent socket is up
 * and for as long as it stays up (heartbeats), disconnected promptly after it closes, and
 * connected again after a reconnect.
 */
import type { CredentialAgent } from '../../protocol/credentials.js';
import { ensure, pass, skip, type ConformContext, type ConformGroup } from '../check.js';
import { describeResponse } from '../http-probe.js';
import { AGENTS_PATH, poll, withSockets } from '../sockets.js';

export interface AgentView {
  status: string;
  first_connected_at?: string;
  last_connected_at?: string;
  disconnected_at?: string;
  created_at?: string;
  connection_timeout_seconds?: number;
}

/** GET /{id} as the user; ends the check with FAIL when it is not a 200 JSON object. */
export async function readAgent(ctx: ConformContext, agent: CredentialAgent): Promise<AgentView> {
  const res = await ctx.http.send({ path: `${AGENTS_PATH}/${agent.id}`, tokens: [{ token: ctx.credentials.userToken, place: 'header' }] });
  let view: AgentView | undefined;
  try {
    view = res.status === 200 ? (JSON.parse(res.text) as AgentView) : undefined;
  } catch {
    view = undefined;
  }
  ensure(view !== undefined && typeof view.status === 'string', 'GET /{id}: 200 WorkspaceAgent', `GET /{id}: ${describeResponse(res)}`);
  return view;
}

const showView = (v: AgentView): string =>
  `status ${v.status}` +
  (v.last_connected_at ? `, last_connected_at ${v.last_connected_at}` : '') +
  (v.disconnected_at ? `, disconnected_at ${v.disconnected_at}` : '');

/** Waits (bounded) until the agent reads `status`; FAIL with the last view otherwise. */
async function expectStatus(ctx: ConformContext, agent: CredentialAgent, status: string, withinMs: number, when: string): Promise<AgentView> {
  const result = await poll(
    () => readAgent(ctx, agent),
    (v) => v.status === status,
    withinMs,
  );
  ensure(result.ok, `${when}: status ${status} within ${withinMs} ms`, `${when}: ${showView(result.value)} after ${result.afterMs} ms`);
  return result.value;
}

/** How long a status change may take to show: one heartbeat plus loopback slack. */
const settleMs = (ctx: ConformContext): number => ctx.timing.heartbeatMs + 250;

export const statusGroup: ConformGroup = {
  name: 'status',
  describe: 'agent status timings: connecting, connected, disconnected, reconnect (§6)',
  checks: [
    {
      id: 'status.connecting-before-first-connection',
      title: 'an agent that never connected reads connecting, without connection times',
      cite: 'protocol §6 rule 1',
      run: async (ctx) => {
        const agent = await ctx.freshAgent('status.connecting');
        if (!agent) return skip('every agent in the credentials has connected before');
        const view = await readAgent(ctx, agent);
        const expected = 'status connecting, no first_connected_at';
        const timedOut =
          (view.connection_timeout_seconds ?? 0) > 0 &&
          view.created_at !== undefined &&
          Date.now() - Date.parse(view.created_at) > (view.connection_timeout_seconds ?? 0) * 1000;
        if (timedOut)
          return view.status === 'timeout'
            ? pass('status timeout (connection timeout passed)')
            : { verdict: 'fail', expected: 'status timeout', observed: showView(view) };
        return view.status === 'connecting' && !view.first_connected_at
          ? pass(expected, showView(view))
          : { verdict: 'fail', expected, observed: showView(view) };
      },
    },
    {
      id: 'status.connected-on-open',
      title: 'connected once the agent socket is open, with first/last connected times',
      cite: 'protocol §5.10, §6 rule 4',
      mutates: true,
      run: (ctx) =>
        withSockets(ctx, async (scope) => {
          const agent = ctx.agent('status.connected-on-open');
          await scope.agent(agent);
          const view = await expectStatus(ctx, agent, 'connected', settleMs(ctx), 'after open');
          ensure(Boolean(view.first_connected_at && view.last_connected_at), 'first_connected_at and last_connected_at set', showView(view));
          return pass(`connected, first/last_connected_at set`, showView(view));
        }),
    },
    {
      id: 'status.stays-connected',
      title: 'an open agent socket keeps the agent connected past the inactivity threshold (heartbeats)',
      cite: 'protocol §5.10, §6 rule 3, §7.5',
      mutates: true,
      run: (ctx) =>
        withSockets(ctx, async (scope) => {
          const agent = ctx.agent('status.stays-connected');
          await scope.agent(agent);
          const first = await expectStatus(ctx, agent, 'connected', settleMs(ctx), 'after open');
          const holdMs = ctx.timing.inactiveMs + ctx.timing.heartbeatMs;
          await new Promise((resolve) => setTimeout(resolve, holdMs));
          const later = await readAgent(ctx, agent);
          const expected = `after ${holdMs} ms: status connected, last_connected_at later than ${first.last_connected_at}`;
          ensure(
            later.status === 'connected' && Date.parse(later.last_connected_at ?? '') > Date.parse(first.last_connected_at ?? ''),
            expected,
            `after ${holdMs} ms: ${showView(later)}`,
          );
          return pass(expected, showView(later));
        }),
    },
    {
      id: 'status.disconnected-after-close',
      title: 'disconnected promptly after the agent socket closes, disconnected_at after last_connected_at',
      cite: 'protocol §5.10, §6 rule 2',
      mutates: true,
      run: (ctx) =>
        withSockets(ctx, async (scope) => {
          const agent = ctx.agent('status.disconnected-after-close');
          const socket = await scope.agent(agent);
          await expectStatus(ctx, agent, 'connected', settleMs(ctx), 'after open');
          await socket.close(ctx.waitMs);
          const view = await expectStatus(ctx, agent, 'disconnected', settleMs(ctx), 'after close');
          ensure(
            Date.parse(view.disconnected_at ?? '') > Date.parse(view.last_connected_at ?? ''),
            'disconnected_at later than last_connected_at',
            showView(view),
          );
          return pass(`disconnected within ${settleMs(ctx)} ms`, showView(view));
        }),
    },
    {
      id: 'status.connected-after-reconnect',
      title: 'a replacing agent socket reads connected again within one heartbeat',
      cite: 'protocol §6 (reconnect race), §7.4',
      mutates: true,
      run: (ctx) =>
        withSockets(ctx, async (scope) => {
          const agent = ctx.agent('status.connected-after-reconnect');
          const first = await scope.agent(agent);
          await expectStatus(ctx, agent, 'connected', settleMs(ctx), 'after open');
          await scope.agent(agent);
          await first.waitClose(ctx.waitMs);
          // The old handler's exit may show `disconnected` until the new socket's next heartbeat
          // (copied upstream quirk), so read only once that heartbeat is surely due.
          await new Promise((resolve) => setTimeout(resolve, settleMs(ctx)));
          const view = await expectStatus(ctx, agent, 'connected', settleMs(ctx), 'one heartbeat after the replacement');
          return pass('connected again', showView(view));
        }),
    },
  ],
};
