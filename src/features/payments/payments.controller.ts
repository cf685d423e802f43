import { Body, Controller, Get, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '../../platform/openapi/decorators';
import { ApiProblems } from '../../platform/openapi/problem-responses';
import { ErrorCode } from '../../platform/problems/problem-catalog';

import type { FastifyReply } from 'fastify';
import { problem, validationProblem } from '../../platform/problems';
import { CanonicalUuidPipe } from '../../platform/validation/uuid';
import { PaymentStatus } from '../../generated/prisma/client';
import { AllowedCurrencyPipe } from './allowed-currency.pipe';
import { CreatePaymentDto } from './dto/create-payment.dto';
import { ListPaymentsQuery } from './dto/list-payments.query';
import { PaymentPageView } from './dto/payment-page.view';
import { PaymentView, receiptView, toPaymentView } from './dto/payment.view';
import { IdempotencyKey } from './idempotency-key.decorator';
import { decodePaymentCursor, encodePaymentCursor } from './payment-cursor';
import { creationProblem } from './payment-problems';
import { PaymentsService } from './payments.service';
import { AuthenticatedUser, CurrentUser, Roles } from '../auth';

@ApiTags('payments')
@Roles('user', 'admin')
@Controller('payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a payment',
    description:
      'Charges the provider once per Idempotency-Key: the same key and body replays the first answer (201), another body is 409. A provider refusal is a `failed` payment (201); an unknown outcome (502/504) is settled later by reconciliation.',
  })
  @ApiProblems(
    ErrorCode.IDEMPOTENCY_CONFLICT,
    ErrorCode.UPSTREAM_FAILED,
    ErrorCode.UPSTREAM_TIMEOUT,
    ErrorCode.CIRCUIT_OPEN,
  )
  @ApiHeader({
    name: 'Idempotency-Key',
    required: true,
    description: '8-64 characters of [A-Za-z0-9_-]; the same key with the same body replays the first answer',
    schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{8,64}$', minLength: 8, maxLength: 64 },
  })
  @ApiResponse({
    status: HttpStatus.CREATED,
    type: PaymentView,
    headers: {
      Location: {
        description: 'The payment: /v1/payments/{id}',
        schema: { type: 'string', maxLength: 64, pattern: '^/v1/[a-z/]+/[0-9a-f-]{36}$' },
      },
    },
  })
  async create(
    @CurrentUser() user: AuthenticatedUser,
    @IdempotencyKey() idempotencyKey: string,
    @Body(AllowedCurrencyPipe) body: CreatePaymentDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PaymentView> {
    const outcome = await this.payments.create(user, idempotencyKey, body);
    if (outcome.kind !== 'charged' && outcome.kind !== 'replayed') throw creationProblem(outcome);
    const { httpStatus, receipt } =
      outcome.kind === 'replayed' ? outcome : { httpStatus: HttpStatus.CREATED, receipt: outcome.receipt };
    void reply.status(httpStatus).header('location', `/v1/payments/${receipt.id}`);
    return receiptView(receipt);
  }

  @Get()
  @ApiOperation({
    summary: 'List your payments',
    description:
      'Newest first, cursor-paginated (`limit` at most 100), optional `status`; admins may add `userId` (403 for anyone else naming another user).',
  })
  @ApiProblems(ErrorCode.FORBIDDEN)
  @ApiOkResponse({ type: PaymentPageView, description: "The caller's payments, newest first" })
  async list(@CurrentUser() user: AuthenticatedUser, @Query() query: ListPaymentsQuery): Promise<PaymentPageView> {
    const userId = query.userId ?? user.id;
    // A user naming someone else is refused (403), not silently shown their own list.
    if (userId !== user.id && user.role !== 'admin') {
      throw problem(ErrorCode.FORBIDDEN, 'Only admins may list the payments of another user (userId).');
    }
    const after = query.cursor === undefined ? undefined : decodePaymentCursor(query.cursor);
    if (query.cursor !== undefined && !after) {
      throw validationProblem([{ field: 'cursor', message: 'must be a nextCursor from a previous page' }]);
    }
    const page = await this.payments.list(user, {
      userId,
      status: query.status ? PaymentStatus[query.status] : undefined,
      after,
      limit: query.limit,
    });
    const last = page.items[page.items.length - 1];
    return {
      items: page.items.map(toPaymentView),
      nextCursor: page.more && last ? encodePaymentCursor(last) : null,
    };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a payment', description: "Your own payment (admins: anyone's); 404 otherwise." })
  @ApiProblems(ErrorCode.NOT_FOUND)
  @ApiResponse({ status: HttpStatus.OK, type: PaymentView })
  async findOne(
    @CurrentUser() user: AuthenticatedUser,
    // A UUID in canonical (lower-case) form, or 400 naming `id` (it cannot name any payment).
    @Param('id', new CanonicalUuidPipe('id')) id: string,
  ): Promise<PaymentView> {
    const payment = await this.payments.findOne(user, id);
    // Someone else's payment is indistinguishable from a missing one.
    if (!payment) throw problem(ErrorCode.NOT_FOUND, 'No such payment.');
    return toPaymentView(payment);
  }
}
