/**
 * Turns zod issues into the one-line, path-prefixed messages users see, e.g.
 * `agents.phases[1].duration: expected a duration like "30s", got "3x"`.
 */
import type { z } from 'zod';
import { showValue } from './duration.js';
import { didYouMean } from './suggest.js';

type Path = readonly PropertyKey[];

/** `agents.phases[1].duration`, `rest.mix["GET /x"]`; the root is `(scenario)`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || '(scenario)';
}

const NOUN: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
};

interface Def {
  type: string;
  shape?: Record<string, { _zod: { def: Def } }>;
  innerType?: { _zod: { def: Def } };
  in?: { _zod: { def: Def } };
  element?: { _zod: { def: Def } };
  /** A union's members (the faults list is a discriminated union). */
  options?: { _zod: { def: Def } }[];
}

/** The keys an object schema accepts at `path`, for "did you mean" hints. */
function knownKeysAt(schema: z.ZodType, path: Path): string[] {
  let def = (schema as unknown as { _zod: { def: Def } })._zod.def;
  const unwrap = () => {
    for (;;) {
      if (def.innerType) def = def.innerType._zod.def;
      else if (def.type === 'pipe' && def.in) def = def.in._zod.def;
      else return;
    }
  };
  unwrap();
  for (const key of path) {
    if (typeof key === 'number' && def.element) def = def.element._zod.def;
    else if (typeof key === 'string' && def.shape?.[key]) def = def.shape[key]._zod.def;
    else return [];
    unwrap();
  }
  // A union: any member's keys (the misspelled key's own member is not known here).
  if (def.options) return [...new Set(def.options.flatMap((o) => Object.keys(o._zod.def.shape ?? {})))];
  return def.shape ? Object.keys(def.shape) : [];
}

function bound(issue: { minimum?: unknown; maximum?: unknown; inclusive?: boolean }, small: boolean): string {
  const limit = small ? issue.minimum : issue.maximum;
  const op = small ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
  return `${op} ${String(limit)}`;
}

/** One message per problem (an unknown-keys issue becomes one line per key). */
export function formatIssues(issues: readonly z.core.$ZodIssue[], schema: z.ZodType): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const at = formatPath(issue.path);
    const got = 'input' in issue ? `, got ${showValue(issue.input)}` : '';
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = knownKeysAt(schema, issue.path);
        for (const key of issue.keys) lines.push(`${formatPath([...issue.path, key])}: unknown key${didYouMean(key, known)}`);
        break;
      }
      case 'invalid_type': {
        const noun = NOUN[issue.expected] ?? issue.expected;
        lines.push(issue.input === undefined && 'input' in issue ? `${at}: required (${noun})` : `${at}: expected ${noun}${got}`);
        break;
      }
      case 'too_small':
        lines.push(issue.origin === 'array' || issue.origin === 'string' ? `${at}: must not be empty` : `${at}: must be ${bound(issue, true)}${got}`);
        break;
      case 'too_big':
        lines.push(`${at}: must be ${bound(issue, false)}${got}`);
        break;
      case 'invalid_value':
        lines.push(`${at}: expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}${got}`);
        break;
      default:
        lines.push(`${at}: ${issue.message}`);
    }
  }
  return lines;
}
