import { UuidField } from '../../../platform/validation/uuid';

/** `:id` of the admin user routes: lower-cased here, so every service sees one spelling of it. */
export class UserIdParams {
  @UuidField()
  id!: string;
}
