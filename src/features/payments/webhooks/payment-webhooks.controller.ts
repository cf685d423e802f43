import { Controller, Headers, HttpCode, HttpStatus, Post, Req } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import {
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiSecurity,
  ApiTags,
} from '../../../platform/openapi/decorators';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import type { FastifyRequest } from 'fastify';
import { ApiProblems } from '../../../platform/openapi/problem-responses';
import { ErrorCode, problem, validationProblem } from '../../../platform/problems';
import { Public } from '../../../platform/http/public.decorator';
import { RAW_JSON_BODY } from '../../../platform/validation/json-body';
import { PaymentWebhooks } from './payment-webhooks.service';
import { MAX_CREATED_SECONDS } from './provider-event';
import { SIGNATURE_HEADER } from './webhook-signature';

export class WebhookAck {
  @ApiProperty({ enum: ['applied', 'ignored', 'duplicate', 'orphan', 'conflict'] }) outcome!: string;
}

const EVENT_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['id', 'type', 'created', 'data'],
  properties: {
    id: { type: 'string', maxLength: 255, pattern: '^[!-~]+$', example: 'evt_1' },
    type: { type: 'string', maxLength: 64, pattern: '^[a-z0-9_.]+$', example: 'charge.updated' },
    created: {
      type: 'integer',
      format: 'int64',
      minimum: 0,
      maximum: MAX_CREATED_SECONDS,
      description: 'unix seconds',
    },
    data: {
      type: 'object',
      required: ['id', 'idempotencyKey', 'status', 'amount', 'currency', 'recipientId'],
      properties: {
        id: { type: 'string', maxLength: 255, pattern: '^[!-~]+$' },
        idempotencyKey: {
          type: 'string',
          maxLength: 255,
          pattern: '^[!-~]+$',
          description: 'the payment provider key',
        },
        status: { type: 'string', enum: ['pending', 'succeeded', 'failed'] },
        amount: { type: 'integer', format: 'int64', minimum: -9007199254740991, maximum: 9007199254740991 },
        currency: { type: 'string', maxLength: 16, pattern: '^[A-Za-z]+$' },
        recipientId: { type: 'string', maxLength: 64, pattern: '^[!-~]+$' },
      },
    },
  },
};

/**
 * POST /v1/webhooks/payment-provider: public (no bearer token; the provider signs instead) and
 * under the global rate limit like every route. The body reaches the handler as raw bytes
 * (RAW_JSON_BODY), because the signature covers exactly those bytes.
 */
@ApiTags('webhooks')
@Controller('webhooks')
export class PaymentWebhooksController {
  constructor(private readonly webhooks: PaymentWebhooks) {}

  @Post('payment-provider')
  @Public()
  @HttpCode(HttpStatus.OK)
  @RouteConfig(RAW_JSON_BODY)
  @ApiOperation({
    summary: 'Receive a payment provider webhook',
    description:
      'Signed with `Provider-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` (any one valid `v1` of several). ' +
      'Answers 200 once the event is durably recorded, and again for an event id already recorded (no second effect) ' +
      'or about a charge with no payment (orphan). 401 for a missing or wrong signature or a timestamp outside ' +
      'PAYMENT_WEBHOOK_TOLERANCE_SECONDS; 400 for a malformed body; 404 while PAYMENT_PROVIDER_WEBHOOK_SECRET is unset.',
  })
  @ApiSecurity('providerSignature')
  @ApiBody({ schema: EVENT_SCHEMA })
  @ApiOkResponse({ type: WebhookAck, description: 'Recorded (or recorded before); the outcome for the sender' })
  @ApiProblems(ErrorCode.VALIDATION_FAILED, ErrorCode.UNAUTHORIZED, ErrorCode.NOT_FOUND)
  async receive(
    @Req() request: FastifyRequest,
    @Headers(SIGNATURE_HEADER) signature: string | undefined,
  ): Promise<WebhookAck> {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const delivery = await this.webhooks.receive(raw, signature);
    switch (delivery.kind) {
      case 'disabled':
        throw problem(ErrorCode.NOT_FOUND);
      case 'refused':
        throw problem(
          ErrorCode.UNAUTHORIZED,
          delivery.outcome === 'stale'
            ? 'The webhook timestamp is outside the allowed tolerance.'
            : 'The webhook signature is missing or does not match.',
        );
      case 'malformed':
        throw validationProblem(
          [{ field: delivery.field, message: delivery.message }],
          'The webhook event is malformed.',
        );
      case 'acknowledged':
        return { outcome: delivery.outcome };
    }
  }
}
