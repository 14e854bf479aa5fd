/**
 * errors / requests. Workloads record a `request` sample for every attempt, failed ones
 * included; if errors were recorded without samples the ratio is capped at 1. In its own module
 * so that threshold parsing (scenario validation, `fleetsim plan`) does not load the summary's
 * HDR histogram code.
 */
export function errorRate(errors: number, requests: number): number {
  if (errors <= 0) return 0;
  if (requests <= 0) return 1;
  return Math.min(1, errors / requests);
}
