import { Controller, Get, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Allow } from './allow.decorator';
import { assertEveryRouteAllowed, listRoutes } from './route-table';

@Controller('things')
@Allow('operator:finance')
class ThingsController {
  @Get()
  list() {
    return [];
  }

  @Post(':id/approve')
  @Allow('operator:risk', 'merchant')
  approve() {
    return {};
  }
}

@Controller('open')
class OpenController {
  @Get('door')
  @Allow('public')
  door() {
    return {};
  }

  @Post('window')
  window() {
    return {};
  }
}

@Module({ controllers: [ThingsController] })
class DeclaredModule {}

@Module({ controllers: [ThingsController, OpenController] })
class UndeclaredModule {}

const appOf = (module: new () => object) => NestFactory.create(module, new FastifyAdapter(), { logger: false, abortOnError: false });

describe('route table and the start-up check', () => {
  it('lists every route with its policies (the handler wins over its controller)', async () => {
    const app = await appOf(DeclaredModule);
    expect(listRoutes(app).map((r) => [r.method, r.path, r.policies])).toEqual([
      ['GET', '/things', ['operator:finance']],
      ['POST', '/things/:id/approve', ['operator:risk', 'merchant']],
    ]);
    expect(assertEveryRouteAllowed(app, 'svc')).toHaveLength(2);
    await app.close();
  });

  it('refuses to boot with a route that declares no @Allow, naming it', async () => {
    const app = await appOf(UndeclaredModule);
    expect(() => assertEveryRouteAllowed(app, 'svc')).toThrow('svc: routes without @Allow (deny by default; declare who may call them): POST /open/window (OpenController.window)');
    await app.close();
  });
});
