import { Controller, Get, Module, Param, ParseIntPipe } from '@nestjs/common';
import { PrismaService } from '../../src/platform/database/prisma.service';
import { Public } from '../../src/platform/http/public.decorator';

/** Test-only routes that hold or use pool connections through the real PrismaService. */
@Public()
@Controller('db-probe')
class DbProbeController {
  constructor(private readonly prisma: PrismaService) {}

  /** Holds one pool connection for `seconds` (pg_sleep returns void; cast so Prisma can read it). */
  @Get('sleep/:seconds')
  async sleep(@Param('seconds', ParseIntPipe) seconds: number): Promise<{ slept: number }> {
    await this.prisma.$queryRaw`SELECT pg_sleep(${seconds})::text AS slept`;
    return { slept: seconds };
  }

  /**
   * Holds one pool connection until the advisory lock `key` is free: the statement waits for the
   * lock (which the test holds), so the connection is busy exactly as long as the test decides.
   */
  @Get('wait-for-lock/:key')
  async waitForLock(@Param('key', ParseIntPipe) key: number): Promise<{ key: number }> {
    await this.prisma.$queryRaw`SELECT pg_advisory_xact_lock(${key}::bigint)::text AS locked`;
    return { key };
  }

  /** An ordinary model query. */
  @Get('users')
  async users(): Promise<{ count: number }> {
    return { count: await this.prisma.user.count() };
  }
}

@Module({ controllers: [DbProbeController] })
export class DbProbeModule {}
