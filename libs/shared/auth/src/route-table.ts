import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { INestApplication } from '@nestjs/common';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { policiesOf } from './auth.guard';
import type { Policy } from './principal';

/** One HTTP route of an app, with who may call it. */
export interface RouteEntry {
  method: string;
  /** The path pattern, e.g. `/payments/:id/refunds`. */
  path: string;
  controller: string;
  handler: string;
  /** Its @Allow policies; undefined when it declares none. */
  policies: readonly Policy[] | undefined;
}

const join = (...parts: string[]) => `/${parts.flatMap((p) => p.split('/')).filter((p) => p !== '').join('/')}`;

/** Every route of the app's controllers, read from Nest's own metadata (the same the router uses). */
export function listRoutes(app: INestApplication): RouteEntry[] {
  const modules = app.get(ModulesContainer);
  const scanner = new MetadataScanner();
  const reflector = new Reflector();
  const routes: RouteEntry[] = [];
  const seen = new Set<Function>();
  for (const module of modules.values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Function | null;
      if (!controller || seen.has(controller)) continue;
      seen.add(controller);
      const base = [Reflect.getMetadata(PATH_METADATA, controller) ?? ''].flat() as string[];
      for (const name of scanner.getAllMethodNames(controller.prototype)) {
        const handler = controller.prototype[name] as Function;
        const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (paths === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod] ?? 'GET';
        for (const b of base) for (const p of [paths].flat()) routes.push({ method, path: join(b, p), controller: controller.name, handler: name, policies: policiesOf(reflector, handler, controller) });
      }
    }
  }
  return routes.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}

/** Throws, naming them, when any route declares no @Allow: a service with an open route does not boot. */
export function assertEveryRouteAllowed(app: INestApplication, service: string): RouteEntry[] {
  const routes = listRoutes(app);
  const open = routes.filter((r) => !r.policies || r.policies.length === 0);
  if (open.length > 0) {
    throw new Error(`${service}: routes without @Allow (deny by default; declare who may call them): ${open.map((r) => `${r.method} ${r.path} (${r.controller}.${r.handler})`).join(', ')}`);
  }
  return routes;
}
