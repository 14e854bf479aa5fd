/**
 * `fleetsim serve --metadata-file FILE`: a JSON list of agent metadata descriptions, validated
 * like the scenario's `server.metadata` (scenario/server-metadata.ts). Its own module so the
 * serve command loads zod only when the flag is given.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { FleetsimError } from '../core/errors.js';
import { formatIssues } from '../scenario/issues.js';
import { metadataList, toAgentMetadata } from '../scenario/server-metadata.js';
import type { AgentMetadataDescription } from '../server/options.js';

/** Wraps the list so issue paths read `metadata[1].interval` and unknown keys get suggestions. */
const metadataFile = z.strictObject({ metadata: metadataList });

/** Reads and validates `--metadata-file` at `path` (`given` is what the user typed, for messages). */
export async function readMetadataFile(path: string, given: string): Promise<AgentMetadataDescription[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new FleetsimError('usage', `--metadata-file ${given}: ${(error as Error).message}`);
  }
  const parsed = metadataFile.safeParse({ metadata: raw }, { reportInput: true });
  if (!parsed.success) {
    const issues = formatIssues(parsed.error.issues, metadataFile);
    throw new FleetsimError('usage', `--metadata-file ${given}: ${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}`, {
      issues,
      hint: 'a JSON list like [{ "key": "cpu_usage", "interval": "10s" }]; see README.md (Scenarios, server.metadata)',
    });
  }
  return toAgentMetadata(parsed.data.metadata);
}
