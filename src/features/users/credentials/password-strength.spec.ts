import { assertGuessResistant, WeakPasswordError } from './password-strength';

async function refusal(password: string, related: string[] = []): Promise<WeakPasswordError | undefined> {
  try {
    await assertGuessResistant(password, related);
    return undefined;
  } catch (error) {
    if (error instanceof WeakPasswordError) return error;
    throw error;
  }
}

describe('assertGuessResistant (zxcvbn, common and English dictionaries, score 3 or more)', () => {
  it.each(['password1234', 'qwertyuiop123', '1q2w3e4r5t6y', 'aaaaaaaaaaaa', 'P@ssw0rd1234', 'iloveyou2024'])(
    'refuses %s, with a reason that never contains the password',
    async (password) => {
      const error = await refusal(password);
      expect(error).toBeInstanceOf(WeakPasswordError);
      expect(error!.reason).toMatch(/^is too easy to guess/);
      expect(error!.reason).not.toContain(password);
    },
  );

  it.each(['correct horse battery staple', 'Tr0ub4dor&3-violet-kayak', 'xK9_vQ2-mLp8wZ4t'])(
    'accepts %s',
    async (password) => {
      expect(await refusal(password)).toBeUndefined();
    },
  );

  it("refuses a password made of the account's own email", async () => {
    const email = 'margarethamilton.apollo@example.test';
    expect(await refusal('margarethamilton.apollo1', [email])).toBeInstanceOf(WeakPasswordError);
    expect(await refusal('margarethamilton.apollo1')).toBeUndefined();
  });
});
