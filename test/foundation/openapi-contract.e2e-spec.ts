import { randomUUID } from 'node:crypto';
import { contractViolation } from '../helpers/openapi-contract';

const problem = (status: number, code: string, instance = '/v1/payments') => ({
  type: `urn:problem-type:gateway:${code.toLowerCase()}`,
  title: 'Forbidden',
  status,
  detail: 'You are not allowed to perform this action.',
  instance,
  code,
  requestId: randomUUID(),
});
const asProblem = (status: number, body: unknown) => ({
  status,
  contentType: 'application/problem+json; charset=utf-8',
  body,
  text: JSON.stringify(body),
});

/**
 * The check every e2e response goes through (test/helpers/openapi-contract.ts, called by `http()`),
 * against the document the gateway publishes: it must refuse what the document does not say.
 */
describe('e2e responses are checked against the OpenAPI document', () => {
  it('accepts a documented status with a body of the documented schema', async () => {
    expect(
      await contractViolation('GET', `/v1/payments?userId=${randomUUID()}`, asProblem(403, problem(403, 'FORBIDDEN'))),
    ).toBeUndefined();
  });

  it('refuses a status the operation does not document, naming the operation and what it documents', async () => {
    const violation = await contractViolation('GET', '/v1/payments', asProblem(409, problem(409, 'CONFLICT')));
    expect(violation).toMatch(/status 409 is not documented for GET \/v1\/payments \(documented: .*200.*403/);
  });

  it('refuses a body that does not match the documented schema', async () => {
    const payment = { id: 'not-a-uuid', status: 'settled', amount: 0 };
    const violation = await contractViolation('GET', `/v1/payments/${randomUUID()}`, {
      status: 200,
      contentType: 'application/json; charset=utf-8',
      body: payment,
      text: JSON.stringify(payment),
    });
    expect(violation).toMatch(/GET \/v1\/payments\/\{id\}\): the body does not match the documented schema/);
  });

  it('refuses a problem that leaks fields the Problem schema does not have, and an undocumented media type', async () => {
    const leaky = { ...problem(403, 'FORBIDDEN'), stack: 'Error: at x.ts:1' };
    expect(await contractViolation('GET', '/v1/payments?userId=x', asProblem(403, leaky))).toMatch(
      /must NOT have additional properties/,
    );
    expect(
      await contractViolation('GET', '/v1/auth/me', {
        status: 200,
        contentType: 'text/html',
        body: undefined,
        text: '<html>',
      }),
    ).toMatch(/media type text\/html is not documented/);
  });

  it('checks an error on an undocumented path against the Problem schema', async () => {
    expect(
      await contractViolation('GET', '/v1/nowhere', asProblem(404, problem(404, 'NOT_FOUND', '/v1/nowhere'))),
    ).toBeUndefined();
    expect(
      await contractViolation('GET', '/v1/nowhere', {
        status: 404,
        contentType: 'application/json',
        body: { message: 'x' },
        text: '{"message":"x"}',
      }),
    ).toMatch(/an error answered as application\/json, not application\/problem\+json/);
  });
});
