/** The one harness shared by the test suites, `npm run dev`, bench, gate and scan. */
export * from './embedded-postgres';
export * from './ports';
export * from './postgres';
export * from './processes';
export * from './redis';
export * from './redis-monitor';
export * from './secrets';
export * from './time';
