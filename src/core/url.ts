/**
 * A URL as it may appear in a report, a shard file, a log line or an error message: without
 * `user:password@`, which a target URL may carry and which is a secret like any token. Text that
 * does not parse as a URL still loses anything that looks like `scheme://userinfo@`, so a
 * mistyped URL echoed back in a usage error does not print its password either.
 */
export function withoutUserInfo(text: string): string {
  try {
    const url = new URL(text);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return text.replace(USERINFO, '$1');
  }
}

/** `scheme://` (or a bare `//`) followed by userinfo, up to the last `@` before the path. */
const USERINFO = /((?:[a-z][a-z0-9+.-]*:)?\/\/)[^\s/?#"'<>]*@/gi;

/**
 * The userinfo parts of a URL (user name and password, as written and percent-decoded), for a
 * logger's secret list: a stack trace or a library's message that quotes the URL is then
 * redacted too. Empty when the text is not a URL or has no userinfo.
 */
export function userInfoSecrets(text: string | undefined): string[] {
  if (text === undefined) return [];
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return [];
  }
  const parts = new Set<string>();
  for (const raw of [url.username, url.password]) {
    if (raw === '') continue;
    parts.add(raw);
    try {
      parts.add(decodeURIComponent(raw));
    } catch {
      // A malformed escape: the raw form is what a message would quote.
    }
  }
  return [...parts];
}
