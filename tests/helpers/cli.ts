/** Runs the real `pilote` command, or Node itself, in a child process. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The `pilote` command's entry. */
export const BIN = fileURLToPath(new URL('../../bin/pilote.js', import.meta.url));

/** What a CLI run printed and how it ended. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `pilote <args>` with `env` added to a clean environment and `input` on stdin. */
export function runCli(args: string[], env: Record<string, string>, input = '', timeoutMs = 60_000): Promise<CliRun> {
  return runNode([BIN, ...args], env, input, timeoutMs);
}

/** Runs `node <nodeArgs>` (this Node) the same way: `env` added to a clean environment, `input` on stdin. */
export function runNode(nodeArgs: string[], env: Record<string, string>, input = '', timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs, {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${nodeArgs.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}
