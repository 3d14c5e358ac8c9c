import { run } from '../../src/cli/main.js';

/** What one in-process CLI run produced. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `stowage <args>` in-process with captured streams. The env is empty unless given,
 * so the machine's LOG_LEVEL or STOWAGE_CONFIG never leak into a test.
 */
export async function runCli(
  args: string[],
  options: {
    env?: Record<string, string | undefined>;
    cwd?: string;
    /** What `-` reads; empty unless given (never the test runner's own stdin). */
    stdin?: AsyncIterable<Uint8Array>;
  } = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: options.stdin ?? (async function* () {})(),
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
  });
  return { code, stdout, stderr };
}
