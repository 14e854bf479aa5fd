/**
 * A tiny leveled logger that writes to stderr and scrubs registered secrets (tokens, keys) from
 * every line, so a secret can never reach a log even through an error message.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Registers a value that must never be printed; it is replaced by `[redacted]`. */
  addSecret(secret: string): void;
  /** Returns `text` with every registered secret replaced. */
  redact(text: string): string;
}

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

export function createLogger(options: { level?: LogLevel; write?: (line: string) => void } = {}): Logger {
  const level = ORDER[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const secrets = new Set<string>();
  const redact = (text: string): string => {
    let out = text;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    return out;
  };
  const at = (lvl: LogLevel) => (message: string) => {
    if (ORDER[lvl] >= level) write(redact(`[${lvl}] ${message}`));
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    addSecret: (secret) => {
      // Very short values would redact ordinary words; real secrets are long.
      if (secret.length >= 8) secrets.add(secret);
    },
    redact,
  };
}

/** A logger that prints nothing (tests). */
export const silentLogger: Logger = createLogger({ level: 'silent' });
