/**
 * Server processes for benchmarks: spawned in the bench's temp directory (so no
 * stowage.yaml is picked up), with stderr in a log file, and never outliving the bench
 * (SIGKILLed on exit, Ctrl-C or SIGTERM). `stowage serve` gets fresh root credentials.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const stowageBin = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../bin/stowage.cjs');

/**
 * Process helpers bound to the bench's temp directory `root` (removed on exit). `extraEnv` is
 * added to every server's environment.
 */
export function serverProcesses(root, extraEnv = {}) {
  const children = new Set();
  /** Last resort: no server outlives this process, whatever happens. */
  process.on('exit', () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      for (const c of children) c.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
      process.exit(130);
    });
  }

  function tail(file, lines = 20) {
    try {
      return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /**
   * The environment of every server: this one without settings a user may have exported for
   * their own server (STOWAGE_*, LOG_LEVEL), plus `extraEnv`.
   */
  const serverEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(STOWAGE_|LOG_LEVEL$)/.test(k)),
  );
  Object.assign(serverEnv, extraEnv);

  /**
   * Spawns a server in the temp directory (so no stowage.yaml is picked up) and resolves with
   * whatever `parse(stdoutSoFar)` returns once it returns something; rejects if the process
   * exits first or takes over 30 s. stderr goes to `logFile`.
   */
  function startProcess(name, args, env, logFile, parse) {
    const logFd = openSync(logFile, 'w');
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...serverEnv, ...env },
      stdio: ['ignore', 'pipe', logFd],
    });
    closeSync(logFd);
    children.add(child);
    return new Promise((resolve, reject) => {
      let out = '';
      const fail = (why) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`${name} ${why}\n${out}${tail(logFile)}`));
      };
      const timer = setTimeout(() => fail('did not start within 30 s'), 30_000);
      child.once('error', (err) => fail(`could not be spawned: ${err.message}`));
      child.once('exit', (code, signal) => fail(`exited early (${signal ?? code})`));
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (text) => {
        out += text;
        const info = parse(out);
        if (info === undefined) return;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.stdout.removeAllListeners('data');
        child.stdout.resume();
        resolve({ child, pid: child.pid, logFile, ...info });
      });
    });
  }

  async function stopProcess(child) {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timeout = sleep(15_000).then(() => 'timeout');
    if ((await Promise.race([exited, timeout])) === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
    children.delete(child);
  }

  /**
   * `stowage serve` as shipped; `name` and `env` start another one beside it (its own data
   * directory), e.g. with STOWAGE_DEFAULT_ENCRYPTION=none.
   */
  async function startStowage({ name = 'stowage', env = {} } = {}) {
    const dataDir = path.join(root, name);
    const credentials = {
      accessKeyId: `BENCH${randomBytes(6).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(24).toString('base64url'),
    };
    const args = [stowageBin, 'serve', '--port', '0', '--json', '--data-dir', dataDir];
    const server = await startProcess(
      'stowage serve',
      args,
      {
        STOWAGE_ROOT_ACCESS_KEY: credentials.accessKeyId,
        STOWAGE_ROOT_SECRET_KEY: credentials.secretAccessKey,
        ...env,
      },
      path.join(root, `${name}.log`),
      (out) => {
        try {
          return { url: JSON.parse(out).url };
        } catch {
          return undefined;
        }
      },
    );
    return { ...server, name, credentials, dataDir };
  }

  return { startProcess, stopProcess, tail, startStowage };
}
