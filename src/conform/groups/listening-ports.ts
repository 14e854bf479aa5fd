/**
 * `GET /{id}/listening-ports` (protocol §5.14): the connected-state check and coderd's filter,
 * judged from outside — no port below 9, none on the fixed ignore list, none named explicitly
 * in one of the agent's app URLs, no repeats, and the documented shape.
 */
import { ensure, pass, skip, type ConformGroup } from '../check.js';
import { connectedAgent } from '../connected-agent.js';
import { describeResponse } from '../http-probe.js';
import { jsonOf, judge, keyOrder, sdkBody } from '../http-cases.js';
import { AGENTS_PATH, withSockets } from '../sockets.js';
import { readAgent } from './status.js';

/** codersdk's ignore list and minimum, restated from protocol §5.14 step 6. */
const IGNORED = new Set([20, 21, 22, 23, 25, 53, 110, 143, 179, 389, 465, 587, 636, 989, 990, 993, 995, 3306, 3389, 5432, 27017, 27018, 27019, 28017]);
const MINIMUM_PORT = 9;

/** The port a URL names explicitly (Go keeps default ports: `http://x:80` names 80). */
export function explicitPort(url: string): number | undefined {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*):(\d+)(?:[/?#]|$)/.exec(url);
  return m ? Number(m[1]) : undefined;
}

const path = (id: string): string => `${AGENTS_PATH}/${id}/listening-ports`;

export const listeningPortsGroup: ConformGroup = {
  name: 'listening-ports',
  describe: 'listening-ports: connected-state check, shape and coderd filtering (§5.14)',
  checks: [
    {
      id: 'listening-ports.not-connected',
      title: 'an agent that is not connected: 400 naming its status',
      cite: 'protocol §5.14 step 2',
      run: async (ctx) => {
        const agent = ctx.agent('listening-ports.not-connected');
        const view = await readAgent(ctx, agent);
        if (view.status === 'connected') return skip('the agent is connected');
        const res = await ctx.http.send({ path: path(agent.id), tokens: [{ token: ctx.credentials.userToken, place: 'header' }] });
        return judge({ status: 400, body: sdkBody(`Agent state is "${view.status}", it must be in the "connected" state.`) }, res);
      },
    },
    {
      id: 'listening-ports.filtered',
      title: 'a connected agent: {"ports":[…]} without ports < 9, ignored ports, app ports or repeats',
      cite: 'protocol §5.14 steps 5–7',
      run: (ctx) =>
        withSockets(ctx, async (scope) => {
          const agent = await connectedAgent(ctx, scope, 'listening-ports.filtered');
          const appsRes = await ctx.http.send({ path: `${AGENTS_PATH}/${agent.id}`, tokens: [{ token: ctx.credentials.userToken, place: 'header' }] });
          const apps = ((jsonOf(appsRes, 'GET /{id}') as { apps?: { url?: string }[] }).apps ?? []).map((a) => a.url ?? '');
          const appPorts = new Set(apps.map(explicitPort).filter((p): p is number => p !== undefined));
          const res = await ctx.http.send({ path: path(agent.id), tokens: [{ token: ctx.credentials.userToken, place: 'header' }] });
          const expected = '200 {"ports":[{"process_name","network":"tcp","port"}…]}';
          ensure(res.status === 200, expected, describeResponse(res));
          const body = jsonOf(res, expected) as { ports?: unknown };
          ensure(keyOrder(body).join(',') === 'ports' && Array.isArray(body.ports), expected, describeResponse(res));
          const seen = new Set<number>();
          for (const entry of body.ports as Record<string, unknown>[]) {
            const keys = keyOrder(entry).join(',');
            ensure(keys === 'process_name,network,port', 'entry keys process_name,network,port', `entry keys ${keys}`);
            ensure(typeof entry.process_name === 'string' && entry.network === 'tcp', 'process_name a string, network "tcp"', JSON.stringify(entry));
            const port = entry.port;
            ensure(typeof port === 'number' && Number.isInteger(port), 'port an integer', JSON.stringify(entry));
            ensure(port >= MINIMUM_PORT, `no port below ${MINIMUM_PORT}`, `port ${port} listed`);
            ensure(!IGNORED.has(port), 'no port on the ignore list (22, 5432, …)', `port ${port} listed`);
            ensure(!appPorts.has(port), `no port named in an app URL (${[...appPorts].join(', ') || 'none'})`, `port ${port} listed`);
            ensure(!seen.has(port), 'each port once', `port ${port} repeated`);
            seen.add(port);
          }
          return pass('filtered ports only', `ports ${[...seen].join(', ') || '(none)'}; app ports ${[...appPorts].join(', ') || '(none)'}`);
        }),
    },
  ],
};
