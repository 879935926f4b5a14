import type { Out } from '../../src/cli/output.ts';

/** An Out that keeps what the CLI prints, for in-process calls of main(). */
export function captureOut(): Out & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    tty: false,
    color: false,
    stdout,
    stderr,
    line: (text = '') => {
      stdout.push(text);
    },
    err: (text) => {
      stderr.push(text);
    },
    paint: (_code, text) => text,
  };
}
