/**
 * `GET /{id}/pty` (protocol §5.15, §8): the status check before the query check, binary frames
 * both ways, a JSON input stream (boundaries carry no meaning), 1003 on a text frame, replay
 * of the session's output to a reconnect with the same id, 1000 when the shell exits. Checks
 * that run a shell in the workspace are left out by --safe.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { ensure, pass, skip, type ConformCheck, type ConformContext, type ConformGroup } from '../check.js';
import { connectedAgent } from '../connected-agent.js';
import { showText } from '../http-probe.js';
import { judge, sdkBody } from '../http-cases.js';
import { AGENTS_PATH, withSockets, type SocketScope } from '../sockets.js';
import type { WsProbe } from '../ws-probe.js';
import { readAgent } from './status.js';

const ptyPath = (agentId: string, reconnect: string): string => `${AGENTS_PATH}/${agentId}/pty?reconnect=${reconnect}&height=24&width=80`;
const marker = (): string => `conform-${randomBytes(4).toString('hex')}`;
const input = (data: string): string => JSON.stringify({ data, height: 24, width: 80 });

async function openPty(ctx: ConformContext, scope: SocketScope, agentId: string, reconnect: string): Promise<WsProbe> {
  return scope.must({ path: ptyPath(agentId, reconnect), tokens: [{ token: ctx.credentials.userToken, place: 'header' }] }, 'GET /{id}/pty');
}

/** Waits (bounded) until the output holds `text`; FAIL otherwise. Also insists every frame was binary. */
async function expectOutput(ctx: ConformContext, pty: WsProbe, text: string, what: string): Promise<void> {
  const seen = await pty.until(() => pty.text().includes(text), ctx.waitMs);
  ensure(
    seen,
    `${what}: output containing ${text}`,
    `${what}: ${showText(pty.text(), 160) || '(no output)'}${pty.closed ? ` (closed ${pty.closed.code})` : ''}`,
  );
  const text_ = pty.messages.find((m) => !m.binary);
  ensure(text_ === undefined, 'binary output frames only', `a text frame: ${showText(text_?.data.toString('utf8') ?? '')}`);
}

function ptyCheck(
  name: string,
  title: string,
  cite: string,
  body: (ctx: ConformContext, scope: SocketScope, agentId: string) => Promise<string>,
): ConformCheck {
  const id = `pty.${name}`;
  return {
    id,
    title,
    cite,
    mutates: true,
    run: (ctx) =>
      withSockets(ctx, async (scope) => {
        const agent = await connectedAgent(ctx, scope, id);
        return pass(await body(ctx, scope, agent.id));
      }),
  };
}

export const ptyGroup: ConformGroup = {
  name: 'pty',
  describe: 'reconnecting PTY: checks order, binary framing, input stream, replay, exit (§5.15, §8)',
  checks: [
    {
      id: 'pty.status-before-query',
      title: 'an agent that is not connected: the status 400 comes before the reconnect check',
      cite: 'protocol §5.15 steps 2–3',
      run: async (ctx) => {
        const agent = ctx.agent('pty.status-before-query');
        const view = await readAgent(ctx, agent);
        if (view.status === 'connected') return skip('the agent is connected');
        const res = await ctx.http.send({ path: ptyPath(agent.id, 'not-a-uuid'), tokens: [{ token: ctx.credentials.userToken, place: 'header' }] });
        return judge({ status: 400, body: sdkBody(`Agent state is "${view.status}", it must be in the "connected" state.`) }, res);
      },
    },
    {
      id: 'pty.invalid-reconnect',
      title: 'a reconnect id that is not a UUID: 400 with a validation entry',
      cite: 'protocol §5.15 step 3',
      run: (ctx) =>
        withSockets(ctx, async (scope) => {
          const agent = await connectedAgent(ctx, scope, 'pty.invalid-reconnect');
          const res = await ctx.http.send({ path: ptyPath(agent.id, 'not-a-uuid'), tokens: [{ token: ctx.credentials.userToken, place: 'header' }] });
          return judge(
            { status: 400, body: sdkBody("Query param 'reconnect' must be a valid UUID.", undefined, [{ field: 'reconnect', detail: 'invalid UUID' }]) },
            res,
          );
        }),
    },
    ptyCheck('echo-binary', 'typed input (one JSON object per binary frame) comes back as binary output', 'protocol §8.1', async (ctx, scope, agentId) => {
      const pty = await openPty(ctx, scope, agentId, randomUUID());
      const m = marker();
      pty.send(input(`echo ${m}\r`));
      await expectOutput(ctx, pty, m, 'after echo');
      return `output contains ${m}`;
    }),
    ptyCheck('split-input', 'a JSON input object split over two frames is one input', 'protocol §8.1', async (ctx, scope, agentId) => {
      const pty = await openPty(ctx, scope, agentId, randomUUID());
      const m = marker();
      const text = input(`echo ${m}\r`);
      pty.send(text.slice(0, 12));
      pty.send(text.slice(12));
      await expectOutput(ctx, pty, m, 'after split input');
      return `output contains ${m}`;
    }),
    ptyCheck('text-frame-closes-1003', 'a text frame closes the PTY socket 1003', 'protocol §8.1', async (ctx, scope, agentId) => {
      const pty = await openPty(ctx, scope, agentId, randomUUID());
      pty.send(input('\r'), false);
      const closed = await pty.waitClose(ctx.waitMs);
      ensure(closed?.code === 1003, 'closed 1003', closed ? `closed ${closed.code} ${JSON.stringify(closed.reason)}` : `still open after ${ctx.waitMs} ms`);
      return 'closed 1003';
    }),
    ptyCheck('reconnect-replay', 'a reconnect with the same id first replays the earlier output', 'protocol §8.2', async (ctx, scope, agentId) => {
      const reconnect = randomUUID();
      const first = await openPty(ctx, scope, agentId, reconnect);
      const m = marker();
      first.send(input(`echo ${m}\r`));
      await expectOutput(ctx, first, m, 'first connection');
      await first.close(ctx.waitMs);
      const second = await openPty(ctx, scope, agentId, reconnect);
      await expectOutput(ctx, second, m, 'reconnect, before any input');
      return `replay contains ${m}`;
    }),
    ptyCheck('exit-closes-1000', 'the shell exiting closes the socket 1000', 'protocol §8.1', async (ctx, scope, agentId) => {
      const pty = await openPty(ctx, scope, agentId, randomUUID());
      pty.send(input('exit\r'));
      const closed = await pty.waitClose(ctx.waitMs);
      ensure(closed?.code === 1000, 'closed 1000', closed ? `closed ${closed.code} ${JSON.stringify(closed.reason)}` : `still open after ${ctx.waitMs} ms`);
      return 'closed 1000';
    }),
  ],
};
