/**
 * `server.metadata` (scenario) and `fleetsim serve --metadata-file`: the metadata descriptions
 * the embedded server puts in every agent's v2 manifest, as coderd copies them from a template's
 * `metadata` blocks (docs/protocol-v2.md §5.1). Intervals and timeouts are durations like every
 * other scenario field, in whole seconds because coderd stores seconds.
 */
import { z } from 'zod';
import type { AgentMetadataDescription } from '../server/options.js';
import { showValue } from './duration.js';
import { duration } from './fields.js';

const wholeSeconds = (example: string) =>
  duration.refine((ms) => ms % 1000 === 0, { error: (i) => `must be whole seconds (coderd stores seconds), e.g. "${example}", got ${showValue(i.input)} ms` });

/** One description; `displayName` defaults to the key, `timeout` to 1 s, `script` to none. */
const description = z.strictObject({
  key: z.string().min(1),
  displayName: z.string().optional(),
  /** Only shown in the manifest: fake agents make their values up. */
  script: z.string().default(''),
  /** How often agents report the key; 0 = once. */
  interval: wholeSeconds('10s'),
  timeout: wholeSeconds('1s').prefault('1s'),
});

/** The list; every key once (a repeat is reported at its own `[i].key`). */
export const metadataList = z.array(description).superRefine(
  (list, ctx) => {
    // Runs even when the list or some entries failed (every problem is listed at once): read defensively.
    if (!Array.isArray(list)) return;
    const first = new Map<string, number>();
    list.forEach((d: unknown, i) => {
      const key = (d as { key?: unknown } | undefined)?.key;
      if (typeof key !== 'string' || key === '') return;
      const at = first.get(key);
      if (at === undefined) first.set(key, i);
      else ctx.addIssue({ code: 'custom', path: [i, 'key'], message: `repeats the key ${JSON.stringify(key)} of metadata[${at}]`, input: key });
    });
  },
  { when: () => true },
);

export type MetadataList = z.output<typeof metadataList>;

/** The server's form (ReferenceServerOptions.metadata): whole seconds, display name filled. */
export function toAgentMetadata(list: readonly MetadataList[number][]): AgentMetadataDescription[] {
  return list.map((d) => ({
    key: d.key,
    displayName: d.displayName ?? d.key,
    script: d.script,
    intervalSeconds: d.interval / 1000,
    timeoutSeconds: d.timeout / 1000,
  }));
}
