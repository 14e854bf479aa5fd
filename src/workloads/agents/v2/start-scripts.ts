import type { MessageInitShape } from '@bufbuild/protobuf';
import { Timing_Stage, Timing_Status, type TimingSchema, type WorkspaceAgentScript } from '../../../protocol/v2/gen/coder/agent/v2/agent_pb.js';
import { AGENT_RPC, msToTimestamp } from '../../../protocol/v2/messages.js';
import type { LifecycleOutcome } from '../section.js';
import type { SeededStream } from '../timing.js';
import type { LogQueue } from './log-queue.js';
import type { SessionPort } from './session-port.js';

const NONE: readonly never[] = Object.freeze([]);

/** All zero: the legacy External log source (docs/protocol-v2.md §5.7). */
const EXTERNAL = new Uint8Array(16);

/**
 * The simulated start scripts (docs/protocol-v2.md §3.3 item 7, "What fleetsim's v2 fake agent
 * does" step 5): when the agent starts, each `run_on_start` script of the manifest prints a
 * seeded number of lines to its own log source (an agent without start scripts logs to the
 * External source instead); when the lifecycle outcome is reached, each prints its exit line
 * and, with API ≥ 2.3, is reported with ScriptCompleted (optional: a server without it is
 * skipped). Nothing of the script text is logged.
 */
export class StartScripts {
  // The shared empty NONE until `begin` and again after `finish` (no three arrays per agent).
  private ids: readonly Uint8Array[] = NONE;
  private sources: readonly Uint8Array[] = NONE;
  private names: readonly string[] = NONE;
  private startedAt = 0;
  private readonly timings: MessageInitShape<typeof TimingSchema>[] = [];
  private busy = false;
  private unsupported = false;
  private readonly reportCompletion: boolean;

  constructor(
    private readonly logs: LogQueue,
    private readonly values: SeededStream,
    apiVersion: string,
  ) {
    const minor = Number(apiVersion.split('.')[1]);
    this.reportCompletion = Number.isFinite(minor) && minor >= 3;
  }

  /** The scripts start at `atWallMs` (first manifest only). */
  begin(scripts: readonly WorkspaceAgentScript[], atWallMs: number): void {
    this.startedAt = atWallMs;
    const onStart = scripts.filter((s) => s.runOnStart);
    this.ids = onStart.map((s) => s.id);
    this.sources = onStart.map((s) => s.logSourceId);
    this.names = onStart.map((s, i) => s.displayName || `script ${i + 1}`);
    if (onStart.length === 0) {
      this.logs.add(EXTERNAL, 'agent: no start scripts to run', atWallMs);
      return;
    }
    for (let i = 0; i < onStart.length; i++) {
      const lines = 1 + Math.floor(this.values.next() * 5);
      this.logs.add(this.sources[i]!, `${this.names[i]}: starting`, atWallMs);
      for (let k = 1; k <= lines; k++) this.logs.add(this.sources[i]!, `${this.names[i]}: step ${k} of ${lines} done`, atWallMs);
    }
  }

  /** The scripts ended with the lifecycle `outcome` at `atWallMs`. */
  finish(atWallMs: number, outcome: LifecycleOutcome): void {
    const failed = outcome === 'start_error';
    const status = failed ? Timing_Status.EXIT_FAILURE : outcome === 'start_timeout' ? Timing_Status.TIMED_OUT : Timing_Status.OK;
    if (this.ids.length === 0) {
      this.logs.add(EXTERNAL, `agent: startup ${failed ? 'failed' : 'finished'}`, atWallMs);
      return;
    }
    for (let i = 0; i < this.ids.length; i++) {
      this.logs.add(this.sources[i]!, `${this.names[i]}: exited with code ${failed ? 1 : 0}`, atWallMs);
      if (!this.reportCompletion) continue;
      this.timings.push({
        scriptId: this.ids[i]!,
        start: msToTimestamp(this.startedAt),
        end: msToTimestamp(atWallMs),
        exitCode: failed ? 1 : 0,
        stage: Timing_Stage.START,
        status,
      });
    }
    // Not needed after the exit lines: released, since the ids and sources are views into the
    // manifest's message buffer (protobuf `bytes` decode as subarrays) and would keep that
    // buffer alive for the agent's whole life.
    this.ids = NONE;
    this.sources = NONE;
    this.names = NONE;
  }

  /** Sends the oldest unreported completion on `port` unless a call is in flight. */
  pump(port: SessionPort, report: { scriptsCompleted: number }): void {
    if (this.busy || this.unsupported || !port.live || this.timings.length === 0) return;
    this.busy = true;
    void this.send(port, report);
  }

  private async send(port: SessionPort, report: { scriptsCompleted: number }): Promise<void> {
    const timing = this.timings[0]!;
    const result = await port.client.call(AGENT_RPC.ScriptCompleted, { timing });
    this.busy = false;
    if (!result.ok) {
      if (result.unsupported) {
        this.unsupported = true;
        this.timings.length = 0;
      } else if (!result.aborted) port.teardown();
      return;
    }
    this.timings.shift();
    report.scriptsCompleted++;
    this.pump(port, report);
  }
}
