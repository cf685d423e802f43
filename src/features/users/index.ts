/**
 * The users feature's only door: users, their records and their credentials (hashing,
 * password strength, email normalisation), used by auth, admin and tools.
 */
export { credentialsConfig } from './credentials/credentials.config';
export { CredentialsModule } from './credentials/credentials.module';
export { EmailField } from './credentials/email-field.decorator';
export { normalizeEmail } from './credentials/email';
export { HashingBusyError, PasswordHasher } from './credentials/password-hasher';
export { assertGuessResistant, warmUpPasswordStrength, WeakPasswordError } from './credentials/password-strength';
export { UserIdentityDto } from './dto/user-identity.dto';
export {
  DuplicateEmailError,
  hashNewPassword,
  insertHashedUser,
  type PublicUser,
  toPublicUser,
  type UserRole,
} from './user-records';
export { UsersModule } from './users.module';
export { type UserPage, UsersService } from './users.service';
