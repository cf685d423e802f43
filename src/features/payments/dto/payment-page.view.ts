import { ApiProperty } from '../../../platform/openapi/decorators';
import { PaymentView } from './payment.view';

/** GET /v1/payments: one page, newest first; `nextCursor` is null on the last page. */
export class PaymentPageView {
  @ApiProperty({ type: [PaymentView], maxItems: 100 }) items!: PaymentView[];
  @ApiProperty({
    type: String,
    nullable: true,
    maxLength: 200,
    pattern: '^[A-Za-z0-9_-]+$',
    description: 'Pass as ?cursor= for the next page',
  })
  nextCursor!: string | null;
}
