/**
 * golang.org/x/mod/semver `IsValid`, used by POST /me/version (protocol §5.3): a leading `v` is
 * required; `v1` and `v1.2` are valid shorthands, but only without pre-release/build parts.
 */
export function isValidGoSemver(v: string): boolean {
  if (v.length === 0 || v[0] !== 'v') return false;
  let i = 1;
  const num = (): boolean => {
    const start = i;
    while (i < v.length && v.charCodeAt(i) >= 48 && v.charCodeAt(i) <= 57) i++;
    if (i === start) return false;
    return !(v[start] === '0' && i - start > 1);
  };
  if (!num()) return false;
  if (i === v.length) return true;
  if (v[i] !== '.') return false;
  i++;
  if (!num()) return false;
  if (i === v.length) return true;
  if (v[i] !== '.') return false;
  i++;
  if (!num()) return false;
  if (v[i] === '-') {
    const end = v.indexOf('+', i);
    const pre = v.slice(i + 1, end === -1 ? v.length : end);
    if (!identifiers(pre, true)) return false;
    i = end === -1 ? v.length : end;
  }
  if (v[i] === '+') {
    if (!identifiers(v.slice(i + 1), false)) return false;
    i = v.length;
  }
  return i === v.length;
}

function identifiers(text: string, noLeadingZeroNumbers: boolean): boolean {
  if (text.length === 0) return false;
  for (const part of text.split('.')) {
    if (part.length === 0) return false;
    let numeric = true;
    for (let k = 0; k < part.length; k++) {
      const c = part.charCodeAt(k);
      const digit = c >= 48 && c <= 57;
      const alpha = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45;
      if (!digit && !alpha) return false;
      if (!digit) numeric = false;
    }
    if (noLeadingZeroNumbers && numeric && part.length > 1 && part[0] === '0') return false;
  }
  return true;
}
