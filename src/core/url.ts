/**
 * A URL as it may appear in a report, a shard file or a log: without `user:password@`, which a
 * target URL may carry and which is a secret like any token.
 */
export function withoutUserInfo(text: string): string {
  try {
    const url = new URL(text);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return text;
  }
}
