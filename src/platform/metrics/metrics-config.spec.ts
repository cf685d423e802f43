import { EnvironmentError, loadEnvironment } from '../config/environment';
import { validVariables } from '../config/environment.fixture';

function load(extra: Record<string, string>): ReturnType<typeof loadEnvironment> {
  return loadEnvironment({ ...validVariables(), ...extra });
}

function refusal(extra: Record<string, string>): string {
  try {
    load(extra);
  } catch (error) {
    if (error instanceof EnvironmentError) return error.message;
    throw error;
  }
  return 'accepted';
}

describe('METRICS_PORT / METRICS_HOST', () => {
  it('are off and loopback by default', () => {
    const env = load({});
    expect(env.METRICS_PORT).toBeUndefined();
    expect(env.METRICS_HOST).toBe('127.0.0.1');
  });

  it('accept a port (0 for any free port) and a host', () => {
    expect(load({ METRICS_PORT: '9464', METRICS_HOST: '10.0.0.5' })).toMatchObject({
      METRICS_PORT: 9464,
      METRICS_HOST: '10.0.0.5',
    });
    expect(load({ METRICS_PORT: '0' }).METRICS_PORT).toBe(0);
  });

  it('refuse to boot on a port that is not a port, or the public port', () => {
    expect(refusal({ METRICS_PORT: 'abc' })).toMatch(/METRICS_PORT/);
    expect(refusal({ METRICS_PORT: '70000' })).toMatch(/METRICS_PORT/);
    expect(refusal({ METRICS_PORT: '3000' })).toMatch(/METRICS_PORT: must differ from PORT/);
    expect(refusal({ METRICS_PORT: '8080', PORT: '8080' })).toMatch(/METRICS_PORT: must differ from PORT/);
  });
});
