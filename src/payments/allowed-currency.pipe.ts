import { Inject, Injectable, PipeTransform } from '@nestjs/common';
import { ENV } from '../config/config.constants';
import type { Env } from '../config/environment';
import { validationProblem } from '../problems';
import type { CreatePaymentDto } from './dto/create-payment.dto';

/** Runs after the global ValidationPipe: the currency must also be in PAYMENT_CURRENCIES. */
@Injectable()
export class AllowedCurrencyPipe implements PipeTransform<CreatePaymentDto, CreatePaymentDto> {
  constructor(@Inject(ENV) private readonly env: Env) {}

  transform(body: CreatePaymentDto): CreatePaymentDto {
    if (!this.env.PAYMENT_CURRENCIES.includes(body.currency)) {
      throw validationProblem([
        { field: 'currency', message: `must be one of ${this.env.PAYMENT_CURRENCIES.join(', ')}` },
      ]);
    }
    return body;
  }
}
