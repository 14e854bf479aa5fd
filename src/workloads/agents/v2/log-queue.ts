import type { MessageInitShape } from '@bufbuild/protobuf';
import { Log_Level, type LogSchema } from '../../../protocol/v2/gen/coder/agent/v2/agent_pb.js';
import { AGENT_RPC, msToTimestamp } from '../../../protocol/v2/messages.js';
import { METRIC } from '../../../metrics/names.js';
import type { MetricSink } from '../../../metrics/sink.js';
import type { SessionPort } from './session-port.js';

/** A batch holds at most this much output, counting 21 bytes per line (docs/protocol-v2.md §3.3 item 2). */
export const MAX_BATCH_BYTES = 1 << 20;
const LINE_OVERHEAD = 21;

interface Batch {
  /** 16 bytes; all zero = the legacy External source. */
  source: Uint8Array;
  lines: MessageInitShape<typeof LogSchema>[];
  bytes: number;
}

/** What the queue tells the agent. */
export interface LogHost {
  /** A batch was stored: `lines` lines of `bytes` output bytes. */
  logsAccepted(lines: number, bytes: number): void;
  /** The target answered `log_limit_exceeded`: no more logs for good. */
  logLimitExceeded(): void;
}

/**
 * The agent's log sender (docs/protocol-v2.md §3.3 item 2): lines are queued per log source as
 * the (simulated) scripts print them and sent with BatchCreateLogs, one call in flight, a batch
 * per source of at most 1 MiB. The queue outlives sessions (a batch whose call failed is sent
 * again), and it stops for good after a `log_limit_exceeded` answer, like the Go agent.
 */
export class LogQueue {
  /**
   * Waiting batches; the one in flight is taken off (lines never join a batch being sent).
   * Replaced by a fresh array when it empties: the queue lives as long as the agent and is
   * usually empty, and an emptied array keeps its grown backing store.
   */
  private batches: Batch[] = [];
  private busy = false;
  private stopped = false;

  constructor(
    private readonly metrics: MetricSink,
    private readonly host: LogHost,
  ) {}

  /** Queues one line of output from `source` printed at `atWallMs`. */
  add(source: Uint8Array, output: string, atWallMs: number, level = Log_Level.INFO): void {
    if (this.stopped) return;
    const size = Buffer.byteLength(output) + LINE_OVERHEAD;
    // A line that could never fit a batch is dropped, as the Go agent does.
    if (size > MAX_BATCH_BYTES) return;
    let batch = this.batches[this.batches.length - 1];
    if (!batch || !sameBytes(batch.source, source) || batch.bytes + size > MAX_BATCH_BYTES) {
      batch = { source, lines: [], bytes: 0 };
      this.batches.push(batch);
    }
    batch.lines.push({ createdAt: msToTimestamp(atWallMs), output, level });
    batch.bytes += size;
  }

  get drained(): boolean {
    return this.batches.length === 0 && !this.busy;
  }

  /** Sends the oldest batch on `port` unless a call is in flight. */
  pump(port: SessionPort): void {
    if (this.busy || this.stopped || !port.live || this.batches.length === 0) return;
    this.busy = true;
    const batch = this.batches.shift()!;
    if (this.batches.length === 0) this.batches = [];
    void this.send(port, batch);
  }

  private async send(port: SessionPort, batch: Batch): Promise<void> {
    const result = await port.client.call(AGENT_RPC.BatchCreateLogs, { logSourceId: batch.source, logs: batch.lines });
    this.busy = false;
    if (!result.ok) {
      // Sent again first on the next session.
      this.batches.unshift(batch);
      if (!result.aborted) port.teardown();
      return;
    }
    if (result.value.logLimitExceeded) {
      this.stopped = true;
      this.batches = [];
      this.host.logLimitExceeded();
      return;
    }
    let bytes = 0;
    for (const line of batch.lines) bytes += Buffer.byteLength(line.output ?? '');
    this.metrics.count(METRIC.logLinesReported, batch.lines.length);
    this.host.logsAccepted(batch.lines.length, bytes);
    this.pump(port);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
