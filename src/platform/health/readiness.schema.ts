import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { BREAKER_STATES } from './public-readiness';

/** One component of the public readiness body (see publicReadiness). */
const COMPONENT: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['up', 'down'] },
    state: {
      type: 'string',
      enum: [...BREAKER_STATES],
      description: 'The payment provider breaker only (`paymentProvider`).',
    },
    message: {
      type: 'string',
      enum: ['draining'],
      description: 'The `shutdown` component only, while the instance drains after SIGTERM.',
    },
  },
};

const SECTION: SchemaObject = { type: 'object', additionalProperties: COMPONENT };

/**
 * The readiness body, 200 and 503 alike: terminus's shape with nothing but statuses and the
 * breaker's state (counts, thresholds and slots are on the metrics listener).
 */
export const READINESS_SCHEMA: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'info', 'error', 'details'],
  properties: {
    status: { type: 'string', enum: ['ok', 'error', 'shutting_down'] },
    info: SECTION,
    error: SECTION,
    details: SECTION,
  },
  example: {
    status: 'ok',
    info: { database: { status: 'up' }, redis: { status: 'up' }, paymentProvider: { status: 'up', state: 'closed' } },
    error: {},
    details: {
      database: { status: 'up' },
      redis: { status: 'up' },
      paymentProvider: { status: 'up', state: 'closed' },
    },
  },
};
