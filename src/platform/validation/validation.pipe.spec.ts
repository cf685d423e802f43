import { createValidationPipe } from './validation.pipe';

describe('the global validation pipe and custom parameters', () => {
  it('returns a custom parameter (such as @CurrentUser()) as it is, without a promise', () => {
    const user = { id: 'u1', email: 'u1@example.test', role: 'user' };
    const pipe = createValidationPipe();
    const answer: unknown = pipe.transform(user, { type: 'custom', metatype: Object, data: undefined });
    expect(answer).toBe(user);
  });

  it('still validates a body', async () => {
    class Body {}
    const pipe = createValidationPipe();
    await expect(pipe.transform({ extra: 1 }, { type: 'body', metatype: Body, data: undefined })).rejects.toThrow();
  });
});
