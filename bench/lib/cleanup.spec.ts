import { Cleanups } from './cleanup';

describe('bench cleanups', () => {
  it('run newest first, once, and a failing one does not stop the rest', async () => {
    const reported: string[] = [];
    const cleanups = new Cleanups((line) => reported.push(line));
    const ran: string[] = [];
    cleanups.add('drop database', () => ran.push('database'));
    cleanups.add('unlink keys', () => {
      throw new Error('redis is gone');
    });
    cleanups.add('stop gateway', async () => {
      await Promise.resolve();
      ran.push('gateway');
    });
    await Promise.all([cleanups.run(), cleanups.run()]);
    await cleanups.run();
    expect(ran).toEqual(['gateway', 'database']);
    expect(reported).toEqual(['cleanup "unlink keys" failed: redis is gone']);
  });
});
