/**
 * The admin feature's only door: its module, for the root module.
 */
export { AdminModule } from './admin.module';
