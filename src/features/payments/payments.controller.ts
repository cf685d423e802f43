import { Body, Controller, Get, HttpStatus, Param, ParseUUIDPipe, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../../platform/openapi/problem-responses';
import { ErrorCode } from '../../platform/problems/problem-catalog';

import type { FastifyReply } from 'fastify';
import { AuthenticatedUser, CurrentUser } from '../auth/current-user.decorator';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { Roles } from '../auth/roles.decorator';
import { RolesGuard } from '../auth/roles.guard';
import { validationProblem } from '../../platform/problems';
import { AllowedCurrencyPipe } from './allowed-currency.pipe';
import { CreatePaymentDto } from './dto/create-payment.dto';
import { ListPaymentsQuery } from './dto/list-payments.query';
import { PaymentPageView } from './dto/payment-page.view';
import { PaymentView } from './dto/payment.view';
import { IdempotencyKey } from './idempotency-key.decorator';
import { PaymentsService } from './payments.service';

/** `:id` must be a UUID: 400 naming `id` otherwise (it cannot name any payment). */
function paymentIdPipe(): ParseUUIDPipe {
  return new ParseUUIDPipe({
    exceptionFactory: () => validationProblem([{ field: 'id', message: 'must be a UUID' }]),
  });
}

@ApiTags('payments')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, RolesGuard)
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
    const result = await this.payments.create(user, idempotencyKey, body);
    void reply.status(result.status).header('location', `/v1/payments/${result.body.id}`);
    return result.body;
  }

  @Get()
  @ApiOperation({
    summary: 'List your payments',
    description:
      'Newest first, cursor-paginated (`limit` at most 100), optional `status`; admins may add `userId` (403 for anyone else naming another user).',
  })
  @ApiProblems(ErrorCode.FORBIDDEN)
  @ApiOkResponse({ type: PaymentPageView, description: "The caller's payments, newest first" })
  list(@CurrentUser() user: AuthenticatedUser, @Query() query: ListPaymentsQuery): Promise<PaymentPageView> {
    return this.payments.list(user, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a payment', description: "Your own payment (admins: anyone's); 404 otherwise." })
  @ApiProblems(ErrorCode.NOT_FOUND)
  @ApiResponse({ status: HttpStatus.OK, type: PaymentView })
  findOne(@CurrentUser() user: AuthenticatedUser, @Param('id', paymentIdPipe()) id: string): Promise<PaymentView> {
    return this.payments.findOne(user, id);
  }
}
