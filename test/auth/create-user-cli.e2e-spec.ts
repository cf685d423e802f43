import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { http, startApp, TestApp } from '../helpers/app';
import { ROOT } from '../helpers/processes';
import { randomEmail, randomPassword } from './fixtures';

const CLI = join(ROOT, 'dist/features/users/cli/create-user.js');

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], stdin: string, env: Record<string, string | undefined> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: process.env.TEST_DATABASE_URL, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('npm run user:create (dist/features/users/cli/create-user.js)', () => {
  let gw: TestApp;
  beforeAll(async () => {
    if (!existsSync(CLI))
      throw new Error('run `npm run build` first: dist/features/users/cli/create-user.js is missing');
    gw = await startApp();
  });
  afterAll(() => gw.close());

  it('creates an admin from a password on stdin, who can then log in and use admin routes', async () => {
    const email = randomEmail();
    const password = randomPassword();
    const run = await runCli(['--email', email.toUpperCase(), '--role', 'admin'], `${password}\n`);
    expect(run).toEqual({ code: 0, stdout: expect.stringContaining(email), stderr: '' });
    expect(run.stdout + run.stderr).not.toContain(password);

    const login = await http<{ accessToken: string }>(gw.url, 'POST', '/v1/auth/login', { body: { email, password } });
    expect(login.status).toBe(200);
    const list = await http(gw.url, 'GET', '/v1/admin/users', { token: login.body.accessToken });
    expect(list.status).toBe(200);
  });

  it('accepts --email=E --role=user and a password line without a newline', async () => {
    const email = randomEmail();
    const password = randomPassword();
    const run = await runCli([`--email=${email}`, '--role=user'], password);
    expect(run.code).toBe(0);
    expect((await http(gw.url, 'POST', '/v1/auth/login', { body: { email, password } })).status).toBe(200);
  });

  it('rejects a short password with a non-zero exit and a clear message, creating nothing', async () => {
    const email = randomEmail();
    const run = await runCli(['--email', email, '--role', 'user'], 'short-pw\n');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/12 to 128 characters/);
    expect(run.stderr + run.stdout).not.toContain('short-pw');
    expect((await http(gw.url, 'POST', '/v1/auth/login', { body: { email, password: 'short-pw' } })).status).toBe(401);
  });

  it('rejects a guessable password (password1234) with a non-zero exit and a clear message, creating nothing', async () => {
    const email = randomEmail();
    const run = await runCli(['--email', email, '--role', 'user'], 'password1234\n');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/too easy to guess/);
    expect(run.stderr + run.stdout).not.toContain('password1234');
    const login = await http(gw.url, 'POST', '/v1/auth/login', { body: { email, password: 'password1234' } });
    expect(login.status).toBe(401);
  });

  it.each([
    [['--role', 'user'], /--email is required/],
    [['--email', 'not-an-email', '--role', 'user'], /not a valid email/],
    [['--email', 'a@example.test', '--role', 'root'], /--role must be user or admin/],
    [['--email', 'a@example.test', '--role', 'user', '--force'], /unknown argument/],
  ])('rejects arguments %j with a non-zero exit', async (args, message) => {
    const run = await runCli(args, `${randomPassword()}\n`);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(message);
  });

  it('refuses a duplicate email with a non-zero exit', async () => {
    const email = randomEmail();
    expect((await runCli(['--email', email, '--role', 'user'], `${randomPassword()}\n`)).code).toBe(0);
    const again = await runCli(['--email', email.toUpperCase(), '--role', 'user'], `${randomPassword()}\n`);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('needs DATABASE_URL, and never prints it when the database is unreachable', async () => {
    const missing = await runCli(['--email', randomEmail(), '--role', 'user'], `${randomPassword()}\n`, {
      DATABASE_URL: undefined,
    });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/DATABASE_URL is required/);
    const url = 'postgresql://gateway:s3cret-pass-word@127.0.0.1:9/gateway';
    const unreachable = await runCli(['--email', randomEmail(), '--role', 'user'], `${randomPassword()}\n`, {
      DATABASE_URL: url,
    });
    expect(unreachable.code).not.toBe(0);
    expect(unreachable.stderr).not.toContain('s3cret-pass-word');
  });
});
