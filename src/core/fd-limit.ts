import { readFileSync } from 'node:fs';

/**
 * The soft open-files limit of this process (`ulimit -Sn`), or undefined when it cannot be
 * known. Node 20 has no getrlimit, so on Linux it is read from /proc/self/limits; elsewhere (or
 * when the limit is unlimited) there is nothing to check against.
 */
export function openFilesSoftLimit(read: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number | undefined {
  if (process.platform !== 'linux') return undefined;
  let text: string;
  try {
    text = read();
  } catch {
    return undefined;
  }
  return parseOpenFilesLimit(text);
}

/** The soft limit from the text of /proc/self/limits (`Max open files  <soft>  <hard>  files`). */
export function parseOpenFilesLimit(text: string): number | undefined {
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (!match) return undefined;
  const soft = Number(match[1]);
  return Number.isSafeInteger(soft) && soft > 0 ? soft : undefined;
}
