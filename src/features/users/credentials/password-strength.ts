import type { ZxcvbnFactory } from '@zxcvbn-ts/core';

/** zxcvbn scores 0-4; below this a password is refused ("safely unguessable" starts at 3: ~10^8 guesses). */
export const MIN_PASSWORD_SCORE = 3;

/**
 * Only this many leading characters are scored. zxcvbn's matching grows much faster than the
 * length (a 128-character password of mixed symbols took seconds), and a prefix that scores 3 or
 * more makes the whole password at least as strong.
 */
export const SCORED_CHARACTERS = 64;

/** A password that a guessing attack would find early: refused wherever a password is set. */
export class WeakPasswordError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'WeakPasswordError';
  }
}

let estimator: Promise<ZxcvbnFactory> | undefined;

/**
 * The estimator with the common-password and English dictionaries, built once per process on first
 * use: loading them costs about 60 MiB of heap and a few hundred milliseconds, which a gateway
 * that never sets a password (every instance but the one serving an admin's request) never pays.
 */
function loadEstimator(): Promise<ZxcvbnFactory> {
  estimator ??= (async () => {
    const [{ ZxcvbnFactory }, common, en] = await Promise.all([
      import('@zxcvbn-ts/core'),
      import('@zxcvbn-ts/language-common'),
      import('@zxcvbn-ts/language-en'),
    ]);
    return new ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...en.dictionary },
      graphs: common.adjacencyGraphs,
      translations: en.translations,
      maxLength: SCORED_CHARACTERS,
      // Bounds the l33t-speak variants tried per password (the default 100 costs seconds on long inputs).
      l33tMaxSubstitutions: 10,
    });
  })();
  return estimator;
}

/**
 * Throws WeakPasswordError when `password` scores below MIN_PASSWORD_SCORE. `related` are values a
 * guesser would try first for this account (the email and its local part). The reason never
 * contains the password: it is zxcvbn's generic warning (e.g. "This is similar to a commonly used
 * password.") or a fixed sentence.
 */
export async function assertGuessResistant(password: string, related: readonly string[] = []): Promise<void> {
  const zxcvbn = await loadEstimator();
  const inputs = related.flatMap((value) => [value, value.split('@')[0] ?? '']).filter((value) => value.length > 0);
  const result = zxcvbn.check(password, inputs);
  if (result.score >= MIN_PASSWORD_SCORE) return;
  const warning = result.feedback.warning ? `${result.feedback.warning} ` : '';
  throw new WeakPasswordError(
    `is too easy to guess: ${warning}Use a longer passphrase of uncommon words, not a common password, name or keyboard pattern.`,
  );
}

/** Loads the dictionaries now (for a command that will set a password, or a benchmark). */
export async function warmUpPasswordStrength(): Promise<void> {
  await loadEstimator();
}
