import type { MessageInitShape } from '@bufbuild/protobuf';
import type { StatsSchema } from '../../../protocol/v2/gen/coder/agent/v2/agent_pb.js';
import type { SeededStream } from '../timing.js';

/** The session kinds of the Stats message (docs/protocol-v2.md §11, item 10), with their share of connections. */
const KINDS = [
  ['ssh', 0.4],
  ['vscode', 0.35],
  ['reconnecting_pty', 0.15],
  ['jetbrains', 0.1],
] as const;

type SessionFields = Pick<
  MessageInitShape<typeof StatsSchema>,
  'sessionCountVscode' | 'sessionCountJetbrains' | 'sessionCountReconnectingPty' | 'sessionCountSsh' | 'sessionCounts'
>;

/**
 * Fake session counts for v2 stats reports: each of the agent's connections (its seeded
 * `connection_count`) is one session whose kind is drawn per report (ssh, VS Code, web terminal,
 * JetBrains), from the agent's own seeded stream, so a seed replays the same counts. Sent in the
 * four per-kind fields (deprecated but what servers before API 2.11 read) and, when the agent
 * speaks API 2.11 or later, in the `session_counts` map too, keyed by the same kind names.
 */
export class SessionMix {
  private readonly withMap: boolean;

  constructor(
    private readonly stream: SeededStream,
    apiVersion: string,
  ) {
    const [major, minor] = apiVersion.split('.').map(Number);
    this.withMap = major === 2 && Number.isFinite(minor) && (minor as number) >= 11;
  }

  /** The session fields of one report whose connection count is `connections`. */
  draw(connections: number): SessionFields {
    const counts: Record<(typeof KINDS)[number][0], number> = { ssh: 0, vscode: 0, reconnecting_pty: 0, jetbrains: 0 };
    for (let i = 0; i < connections; i++) {
      let roll = this.stream.next();
      let kind: (typeof KINDS)[number][0] = KINDS[KINDS.length - 1]![0];
      for (const [name, share] of KINDS) {
        roll -= share;
        if (roll < 0) {
          kind = name;
          break;
        }
      }
      counts[kind]++;
    }
    const fields: SessionFields = {
      sessionCountVscode: BigInt(counts.vscode),
      sessionCountJetbrains: BigInt(counts.jetbrains),
      sessionCountReconnectingPty: BigInt(counts.reconnecting_pty),
      sessionCountSsh: BigInt(counts.ssh),
    };
    if (this.withMap) {
      const map: Record<string, bigint> = {};
      for (const [kind, n] of Object.entries(counts)) if (n > 0) map[kind] = BigInt(n);
      fields.sessionCounts = map;
    }
    return fields;
  }
}
