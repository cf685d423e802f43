import { secretValues } from '../instance/state';
import { checkInstanceLog } from './log-check';

const state = {
  secrets: {
    DATABASE_URL: 'postgresql://gw:db%2Fpass-1234@127.0.0.1:5432/gw_scan_x',
    JWT_ACCESS_SECRET: 'jwt-secret-value-0123456789',
    SHORT: 'abc',
  },
  users: {
    user: {
      email: 'u@example.test',
      password: 'user-password-1',
      created: 'created',
      accessToken: 'access.token.value',
    },
  },
};

describe("the scanned instance's log check", () => {
  it("looks for every secret, the decoded password inside URL secrets, and the users' passwords and tokens", () => {
    expect(secretValues(state).sort()).toEqual(
      [
        'postgresql://gw:db%2Fpass-1234@127.0.0.1:5432/gw_scan_x',
        'db/pass-1234',
        'jwt-secret-value-0123456789',
        'user-password-1',
        'access.token.value',
      ].sort(),
    );
  });

  it('is clean when none appears, and counts lines and 5xx answers', () => {
    const log = ['{"res":{"statusCode":200}}', '{"res":{"statusCode":503}}', '', '{"msg":"x"}'].join('\n');
    expect(checkInstanceLog(log, state)).toEqual({ logClean: true, logLines: 3, leakedCount: 0, serverErrors: 1 });
  });

  it('finds a secret written raw or URL-encoded', () => {
    expect(checkInstanceLog('login for user-password-1', state)).toMatchObject({ logClean: false, leakedCount: 1 });
    expect(checkInstanceLog('url /x?p=db%2Fpass-1234', state)).toMatchObject({ logClean: false, leakedCount: 1 });
  });
});
