/**
 * coderd's listening-ports filter (protocol §5.14): the embedded server simulates the agent's port
 * list and must hide the same ports coderd hides.
 */

/** One entry of `{"ports":[…]}` (codersdk.WorkspaceAgentListeningPort). */
export interface ListeningPort {
  process_name: string;
  network: string;
  port: number;
}

/** codersdk.WorkspaceAgentMinimumListeningPort. */
export const MINIMUM_LISTENING_PORT = 9;

/** codersdk.IgnoredListeningPorts: well-known non-HTTP services. */
export const IGNORED_LISTENING_PORTS: ReadonlySet<number> = new Set([
  0, 1, 2, 3, 4, 5, 6, 7, 8, 20, 21, 22, 23, 25, 53, 110, 143, 179, 389, 465, 587, 636, 989, 990, 993, 995, 3306, 3389, 5432, 27017, 27018, 27019, 28017,
]);

/**
 * The port an app URL gives *explicitly*, like Go's url.Parse + URL.Port() + ParseUint(…, 16).
 * WHATWG `new URL()` is not usable here: it blanks default ports (`http://x:80` → ''), while Go
 * keeps them, so coderd drops port 80 for such an app.
 */
export function explicitUrlPort(raw: string): number | undefined {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(raw);
  if (!m) return undefined;
  const hostport = (m[1] ?? '').slice((m[1] ?? '').lastIndexOf('@') + 1);
  let port: string;
  const bracket = hostport.indexOf(']:');
  if (bracket !== -1) port = hostport.slice(bracket + 2);
  else if (hostport.includes(']') || !hostport.includes(':')) return undefined;
  else port = hostport.slice(hostport.indexOf(':') + 1);
  if (!/^\d+$/.test(port)) return undefined; // url.Parse rejects it; coderd skips the app
  const n = Number(port);
  return n >= 1 && n <= 65535 ? n : undefined;
}

/**
 * Drops ports below 9, ports named explicitly in this agent's app URLs, the ignore list, and
 * repeats of a port already kept (the agent de-duplicates before coderd sees the list). Keeps
 * the agent's order; `network` is always "tcp".
 */
export function filterListeningPorts(ports: readonly ListeningPort[], appUrls: readonly string[]): ListeningPort[] {
  const appPorts = new Set<number>();
  for (const url of appUrls) {
    const p = explicitUrlPort(url);
    if (p !== undefined) appPorts.add(p);
  }
  const seen = new Set<number>();
  const out: ListeningPort[] = [];
  for (const p of ports) {
    if (p.port < MINIMUM_LISTENING_PORT || appPorts.has(p.port) || IGNORED_LISTENING_PORTS.has(p.port) || seen.has(p.port)) {
      continue;
    }
    seen.add(p.port);
    out.push({ process_name: p.process_name, network: 'tcp', port: p.port });
  }
  return out;
}
