/**
 * `npm run user:create -- --email E --role user|admin`, password on standard input (one line).
 * Creates the first admin of a fresh install. Needs only DATABASE_URL (a reduced check: the
 * command touches PostgreSQL alone, so an operator need not set the server's other secrets).
 * It never prints the password; on a terminal the typed password is not echoed.
 */
import 'reflect-metadata';
import { PrismaPg } from '@prisma/adapter-pg';
import { isEmail } from 'class-validator';
import { PasswordHasher } from '../credentials/password-hasher';
import { PrismaClient } from '../../../generated/prisma/client';
import { normalizeEmail } from '../credentials/email';
import { codePointLengthProblem, unstorableText } from '../../../platform/validation/code-points';
import { DuplicateEmailError, insertUser, UserRole } from '../user-records';
import { WeakPasswordError } from '../credentials/password-strength';

class UsageError extends Error {}

const USAGE = 'usage: npm run user:create -- --email <email> --role <user|admin>   (password on standard input)';

export interface CreateUserArguments {
  email: string;
  role: UserRole;
}

export function parseArguments(argv: readonly string[]): CreateUserArguments {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const argument = argv[i];
    if (argument === undefined) break;
    const [flag, inline] = argument.split(/=(.*)/s, 2);
    if (flag !== '--email' && flag !== '--role') throw new UsageError(`unknown argument ${JSON.stringify(flag)}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    values[flag.slice(2)] = value;
  }
  if (values.email === undefined) throw new UsageError('--email is required');
  const email = normalizeEmail(values.email);
  if (codePointLengthProblem(email, 1, 254) || !isEmail(email))
    throw new UsageError('--email is not a valid email address');
  if (values.role !== 'user' && values.role !== 'admin') throw new UsageError('--role must be user or admin');
  return { email, role: values.role };
}

export function validatePassword(password: string): void {
  // Code points, as the API counts them; NUL and unpaired surrogates are refused as there.
  const unstorable = unstorableText(password);
  if (unstorable) throw new UsageError(`the password ${unstorable}`);
  if (codePointLengthProblem(password, 12, 128)) throw new UsageError('the password must be 12 to 128 characters long');
}

/** One line from stdin; on a terminal, read without echo. */
function readPasswordLine(): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let buffer = '';
    const tty = stdin.isTTY === true;
    if (tty) {
      process.stderr.write('Password: ');
      stdin.setRawMode(true);
    }
    const finish = (line: string): void => {
      stdin.removeAllListeners('data');
      stdin.removeAllListeners('end');
      if (tty) {
        stdin.setRawMode(false);
        process.stderr.write('\n');
      }
      stdin.pause();
      resolve(line.replace(/\r$/, ''));
    };
    stdin.setEncoding('utf8');
    stdin.on('data', (chunk: string) => {
      if (tty && chunk.includes('\u0003')) return reject(new UsageError('cancelled'));
      buffer += chunk;
      const end = buffer.search(/[\r\n]/);
      if (end >= 0) finish(buffer.slice(0, end));
      else if (buffer.length > 4096) reject(new UsageError('the password line is too long'));
    });
    stdin.on('end', () => finish(buffer));
    stdin.on('error', reject);
  });
}

function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (url === undefined || url.trim() === '') throw new UsageError('DATABASE_URL is required');
  if (!/^postgres(ql)?:\/\/\S+$/.test(url)) throw new UsageError('DATABASE_URL must be a postgres:// URL');
  return url;
}

async function main(): Promise<number> {
  let prisma: PrismaClient | undefined;
  try {
    const args = parseArguments(process.argv.slice(2));
    const url = databaseUrl();
    const password = await readPasswordLine();
    validatePassword(password);
    prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 1 }) });
    const user = await insertUser(prisma, new PasswordHasher({ concurrency: 1, queue: 0 }), {
      email: args.email,
      password,
      role: args.role,
    });
    process.stdout.write(`Created ${user.role} ${user.email} (id ${user.id})\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`user:create: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof WeakPasswordError) {
      process.stderr.write(`user:create: the password ${error.reason}\n`);
      return 2;
    }
    if (error instanceof DuplicateEmailError) {
      process.stderr.write('user:create: a user with this email already exists\n');
      return 1;
    }
    // Never print the error itself: a driver message can carry the connection string.
    process.stderr.write('user:create: could not create the user (is the database reachable and migrated?)\n');
    return 1;
  } finally {
    await prisma?.$disconnect().catch(() => undefined);
  }
}

if (require.main === module) {
  void main().then((code) => process.exit(code));
}
