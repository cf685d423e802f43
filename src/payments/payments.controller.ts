import { Body, Controller, Get, HttpStatus, Param, ParseUUIDPipe, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuthenticatedUser, CurrentUser } from '../auth/current-user.decorator';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { Roles } from '../auth/roles.decorator';
import { RolesGuard } from '../auth/roles.guard';
import { validationProblem } from '../problems';
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
  @ApiHeader({
    name: 'Idempotency-Key',
    required: true,
    description: '8-64 characters of [A-Za-z0-9_-]; the same key with the same body replays the first answer',
    schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{8,64}$', minLength: 8, maxLength: 64 },
  })
  @ApiResponse({ status: HttpStatus.CREATED, type: PaymentView })
  async create(
    @CurrentUser() user: AuthenticatedUser,
    @IdempotencyKey() idempotencyKey: string,
    @Body(AllowedCurrencyPipe) body: CreatePaymentDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PaymentView> {
    const result = await this.payments.create(user, idempotencyKey, body);
    void reply.status(result.status);
    return result.body;
  }

  @Get()
  @ApiOkResponse({ type: PaymentPageView, description: "The caller's payments, newest first" })
  list(@CurrentUser() user: AuthenticatedUser, @Query() query: ListPaymentsQuery): Promise<PaymentPageView> {
    return this.payments.list(user, query);
  }

  @Get(':id')
  @ApiResponse({ status: HttpStatus.OK, type: PaymentView })
  findOne(@CurrentUser() user: AuthenticatedUser, @Param('id', paymentIdPipe()) id: string): Promise<PaymentView> {
    return this.payments.findOne(user, id);
  }
}
