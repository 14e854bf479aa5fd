/**
 * A tiny line-disciplined "shell" behind the simulated PTY (protocol §8): it echoes what is typed,
 * handles backspace / Ctrl-C / Ctrl-D and arrow-key escapes, and on Enter runs a handful of
 * builtins. Output goes through `emit` in whatever pieces the caller flushes; `onExit` fires
 * once when the shell ends (`exit`, Ctrl-D on an empty line, or a one-shot command finishing).
 */
export interface ShellOptions {
  hostname: string;
  height: number;
  width: number;
  emit: (text: string) => void;
  onExit: () => void;
}

const HOME = '/home/coder';

export class SimulatedShell {
  private line = '';
  private escape = 0; // 0 none, 1 after ESC, 2 inside CSI
  private exited = false;
  private height: number;
  private width: number;

  constructor(private readonly opts: ShellOptions) {
    this.height = opts.height;
    this.width = opts.width;
  }

  get done(): boolean {
    return this.exited;
  }

  /** Starts the login shell (prompt) or runs `command` once and exits. */
  start(command: string): void {
    if (command.trim() === '') {
      this.opts.emit(this.prompt());
      return;
    }
    const out = this.run(command);
    if (out !== undefined) this.opts.emit(out);
    this.exit();
  }

  resize(height: number, width: number): void {
    this.height = height;
    this.width = width;
  }

  /** Feeds typed bytes (already UTF-8 decoded). */
  input(data: string): void {
    let out = '';
    for (const ch of data) {
      if (this.exited) break;
      if (this.escape === 1) {
        this.escape = ch === '[' || ch === 'O' ? 2 : 0;
        continue;
      }
      if (this.escape === 2) {
        if (ch >= '@' && ch <= '~') this.escape = 0;
        continue;
      }
      switch (ch) {
        case '\x1b':
          this.escape = 1;
          break;
        case '\r':
        case '\n': {
          out += '\r\n';
          const cmd = this.line;
          this.line = '';
          const result = this.run(cmd);
          if (result === undefined) {
            this.opts.emit(out);
            out = '';
            this.exit();
          } else out += result + this.prompt();
          break;
        }
        case '\x7f':
        case '\b':
          if (this.line.length > 0) {
            this.line = Array.from(this.line).slice(0, -1).join('');
            out += '\b \b';
          }
          break;
        case '\x03':
          out += `^C\r\n${this.prompt()}`;
          this.line = '';
          break;
        case '\x04':
          if (this.line === '') {
            out += 'exit\r\n';
            this.opts.emit(out);
            out = '';
            this.exit();
          }
          break;
        default:
          if (ch >= ' ' || ch === '\t') {
            this.line += ch;
            out += ch;
          }
      }
    }
    if (out) this.opts.emit(out);
  }

  private prompt(): string {
    return `coder@${this.opts.hostname}:~$ `;
  }

  private exit(): void {
    if (this.exited) return;
    this.exited = true;
    this.opts.onExit();
  }

  /** Runs one command line; returns its output (CRLF line ends), or undefined for `exit`. */
  private run(cmdline: string): string | undefined {
    const words = splitWords(cmdline);
    const [cmd, ...args] = words;
    if (cmd === undefined) return '';
    const line = (s: string) => `${s}\r\n`;
    switch (cmd) {
      case 'exit':
      case 'logout':
        return undefined;
      case 'echo':
        return line(args.join(' '));
      case 'pwd':
        return line(HOME);
      case 'whoami':
        return line('coder');
      case 'hostname':
        return line(this.opts.hostname);
      case 'true':
      case ':':
      case 'clear':
        return cmd === 'clear' ? '\x1b[H\x1b[2J' : '';
      case 'stty':
        return args[0] === 'size' ? line(`${this.height} ${this.width}`) : '';
      case 'tput':
        if (args[0] === 'cols') return line(String(this.width));
        if (args[0] === 'lines') return line(String(this.height));
        return '';
      case 'seq': {
        // Handy for producing bulk output in tests and demos; bounded.
        const n = Math.min(Number(args[0]) || 0, 100_000);
        let s = '';
        for (let i = 1; i <= n; i++) s += `${i}\r\n`;
        return s;
      }
      default:
        return line(`${cmd}: command not found`);
    }
  }
}

/** Whitespace split with single and double quotes grouping (no escapes, no expansion). */
function splitWords(text: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let cur = '';
  let last = -1;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const part = m[1] ?? m[2] ?? m[3] ?? '';
    if (m.index === last)
      cur += part; // adjacent pieces form one word: a"b"c
    else {
      if (last !== -1) words.push(cur);
      cur = part;
    }
    last = m.index + m[0].length;
  }
  if (last !== -1) words.push(cur);
  return words;
}
