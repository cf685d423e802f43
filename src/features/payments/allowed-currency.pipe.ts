import { Inject, Injectable, PipeTransform } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { validationProblem } from '../../platform/problems';
import type { CreatePaymentDto } from './dto/create-payment.dto';
import { paymentsConfig } from './payments.config';

/** Runs after the global ValidationPipe: the currency must also be in PAYMENT_CURRENCIES. */
@Injectable()
export class AllowedCurrencyPipe implements PipeTransform<CreatePaymentDto, CreatePaymentDto> {
  constructor(@Inject(paymentsConfig.KEY) private readonly config: ConfigType<typeof paymentsConfig>) {}

  transform(body: CreatePaymentDto): CreatePaymentDto {
    if (!this.config.currencies.includes(body.currency)) {
      throw validationProblem([{ field: 'currency', message: `must be one of ${this.config.currencies.join(', ')}` }]);
    }
    return body;
  }
}
