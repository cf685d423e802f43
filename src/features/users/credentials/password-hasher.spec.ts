import { HashingBusyError, PasswordHasher } from './password-hasher';

describe('PasswordHasher', () => {
  it('hashes with argon2id at 19 MiB, 2 iterations, 1 lane, and verifies', async () => {
    const hasher = new PasswordHasher({ concurrency: 2, queue: 2 });
    const hash = await hasher.hash('correct horse battery staple');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    await expect(hasher.verify(hash, 'correct horse battery staple')).resolves.toBe(true);
    await expect(hasher.verify(hash, 'correct horse battery stapl')).resolves.toBe(false);
  });

  it('salts every hash', async () => {
    const hasher = new PasswordHasher({ concurrency: 2, queue: 2 });
    expect(await hasher.hash('same password here')).not.toBe(await hasher.hash('same password here'));
  });

  it('returns false for an unknown user (no hash) after doing the same work against a dummy hash', async () => {
    const hasher = new PasswordHasher({ concurrency: 1, queue: 1 });
    await expect(hasher.verify(undefined, 'anything at all')).resolves.toBe(false);
    await expect(hasher.verify(undefined, '')).resolves.toBe(false);
  });

  it('returns false, not an error, for a malformed stored hash', async () => {
    const hasher = new PasswordHasher({ concurrency: 1, queue: 1 });
    await expect(hasher.verify('not-a-phc-string', 'whatever')).resolves.toBe(false);
  });

  it('refuses work beyond concurrency + queue with HashingBusyError (a 503 with Retry-After at the edge)', async () => {
    const hasher = new PasswordHasher({ concurrency: 1, queue: 0 });
    const hash = await hasher.hash('correct horse battery staple');
    const results = await Promise.allSettled([hasher.verify(hash, 'a'), hasher.verify(hash, 'b')]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: false });
    expect(results[1].status).toBe('rejected');
    const error = (results[1] as PromiseRejectedResult).reason as HashingBusyError;
    expect(error).toBeInstanceOf(HashingBusyError);
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // The slot is free again afterwards.
    await expect(hasher.verify(hash, 'correct horse battery staple')).resolves.toBe(true);
  });

  it('assertCapacity refuses only while every slot and queue place is taken, and frees with them', async () => {
    const hasher = new PasswordHasher({ concurrency: 1, queue: 1 });
    const hash = await hasher.hash('correct horse battery staple');
    expect(() => hasher.assertCapacity()).not.toThrow();
    const running = hasher.verify(hash, 'a');
    expect(() => hasher.assertCapacity()).not.toThrow(); // the queue place is free
    const waiting = hasher.verify(hash, 'b');
    expect(() => hasher.assertCapacity()).toThrow(HashingBusyError);
    await expect(Promise.all([running, waiting])).resolves.toEqual([false, false]);
    expect(() => hasher.assertCapacity()).not.toThrow();
    expect(hasher.queued).toBe(0);
  });
});

describe('PasswordHasher with places kept for known clients', () => {
  it('refuses a shared verification once the shared places are taken, and lets a known one wait', async () => {
    const hasher = new PasswordHasher({ concurrency: 1, queue: 0, reservedForKnown: 1 });
    try {
      const hash = await hasher.hash('correct horse battery staple');
      const running = hasher.verify(hash, 'a');
      expect(hasher.hasRoom('shared')).toBe(false);
      expect(() => hasher.assertCapacity()).toThrow(HashingBusyError);
      expect(() => hasher.assertCapacity('known')).not.toThrow();
      await expect(hasher.verify(hash, 'b')).rejects.toBeInstanceOf(HashingBusyError);
      const known = hasher.verify(hash, 'correct horse battery staple', 'known');
      expect(hasher.queued).toBe(1);
      expect(() => hasher.assertCapacity('known')).toThrow(HashingBusyError);
      await expect(Promise.all([running, known])).resolves.toEqual([false, true]);
      expect(hasher.queued).toBe(0);
    } finally {
      await hasher.onModuleDestroy();
    }
  });
});

describe('PasswordHasher when a hashing thread dies', () => {
  it('refuses the sign-in in hand with HashingBusyError (503, retry), and the next one is served', async () => {
    const hasher = new PasswordHasher({ concurrency: 1, queue: 1, niceness: 0 });
    try {
      const hash = await hasher.hash('correct horse battery staple');
      const inHand = hasher.verify(hash, 'correct horse battery staple');
      const threads = (hasher as unknown as { threads: { threads: Set<{ worker: { terminate(): Promise<number> } }> } })
        .threads;
      await [...threads.threads][0]?.worker.terminate();
      await expect(inHand).rejects.toBeInstanceOf(HashingBusyError);
      await expect(hasher.verify(hash, 'correct horse battery staple')).resolves.toBe(true);
      await expect(hasher.verify(undefined, 'unknown user')).resolves.toBe(false);
    } finally {
      await hasher.onModuleDestroy();
    }
  });
});
