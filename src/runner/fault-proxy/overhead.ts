/**
 * Helpers to measure what the proxy costs: the same throughput figure taken direct and through
 * the proxy, in one run, in an order that cancels a drifting machine load.
 */

export interface OverheadResult {
  /** Mean of the direct turns. */
  direct: number;
  /** Mean of the proxied turns. */
  proxied: number;
  /** proxied / direct, 3 decimals (1 = free, 0.8 = the proxy costs 20 % of the throughput). */
  ratio: number;
}

/**
 * Runs `measure` A-B-B-A (direct, proxied, proxied, direct) `rounds` times: a load that drifts
 * linearly over the run then weighs on both sides equally.
 */
export async function measureOverhead(measure: (via: 'direct' | 'proxied') => Promise<number>, rounds = 1): Promise<OverheadResult> {
  let direct = 0;
  let proxied = 0;
  for (let round = 0; round < rounds; round++) {
    direct += await measure('direct');
    proxied += await measure('proxied');
    proxied += await measure('proxied');
    direct += await measure('direct');
  }
  direct /= 2 * rounds;
  proxied /= 2 * rounds;
  return { direct, proxied, ratio: direct > 0 ? Math.round((proxied / direct) * 1000) / 1000 : 0 };
}
