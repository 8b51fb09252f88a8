/**
 * Route selection as API Gateway HTTP APIs do it: of the routes whose method and path match a request, the most
 * specific wins (a literal segment beats a `{parameter}`, which beats a greedy `{proxy+}`; then a named method beats
 * ANY), and `$default` catches whatever no route matches.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
 */

type Segment = { kind: 'literal'; value: string } | { kind: 'parameter'; name: string } | { kind: 'greedy'; name: string };

interface CompiledRoute<Route> {
  route: Route;
  method: string;
  segments: Segment[];
}

export interface RouteMatch<Route> {
  route: Route;
  /** Decoded path parameters; empty for a route without any. */
  pathParameters: Record<string, string>;
}

/** Literal 2, parameter 1, greedy 0, segment by segment: the higher list is the more specific route. */
const SPECIFICITY: Record<Segment['kind'], number> = { literal: 2, parameter: 1, greedy: 0 };

function compile(path: string): Segment[] {
  return path
    .split('/')
    .slice(1)
    .map((segment): Segment => {
      const parameter = /^\{([\w.-]+)(\+?)\}$/.exec(segment);
      if (!parameter) return { kind: 'literal', value: segment };
      return parameter[2] ? { kind: 'greedy', name: parameter[1]! } : { kind: 'parameter', name: parameter[1]! };
    });
}

function matchSegments(segments: Segment[], parts: string[]): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (const [index, segment] of segments.entries()) {
    if (segment.kind === 'greedy') {
      const rest = parts.slice(index).join('/');
      if (rest === '') return undefined;
      parameters[segment.name] = rest;
      return parameters;
    }
    const part = parts[index];
    if (part === undefined) return undefined;
    if (segment.kind === 'literal' && segment.value !== part) return undefined;
    if (segment.kind === 'parameter') {
      if (part === '') return undefined;
      parameters[segment.name] = part;
    }
  }
  return parts.length === segments.length ? parameters : undefined;
}

function moreSpecific<Route>(a: CompiledRoute<Route>, b: CompiledRoute<Route>): boolean {
  for (let index = 0; index < Math.max(a.segments.length, b.segments.length); index += 1) {
    const difference = SPECIFICITY[a.segments[index]?.kind ?? 'greedy'] - SPECIFICITY[b.segments[index]?.kind ?? 'greedy'];
    if (difference !== 0) return difference > 0;
  }
  return a.method !== 'ANY' && b.method === 'ANY';
}

export class RouteTable<Route extends { routeKey: string }> {
  private readonly routes: CompiledRoute<Route>[] = [];
  private readonly fallback: Route | undefined;

  constructor(routes: Route[]) {
    this.fallback = routes.find((route) => route.routeKey === '$default');
    for (const route of routes) {
      if (route.routeKey === '$default') continue;
      const space = route.routeKey.indexOf(' ');
      this.routes.push({ route, method: route.routeKey.slice(0, space), segments: compile(route.routeKey.slice(space + 1)) });
    }
  }

  /** The route for a request, or undefined (API Gateway's 404). Throws URIError for a path with a malformed escape. */
  match(method: string, rawPath: string): RouteMatch<Route> | undefined {
    const parts = rawPath.split('/').slice(1).map(decodeURIComponent);
    let best: { compiled: CompiledRoute<Route>; pathParameters: Record<string, string> } | undefined;
    for (const compiled of this.routes) {
      if (compiled.method !== 'ANY' && compiled.method !== method) continue;
      const pathParameters = matchSegments(compiled.segments, parts);
      if (pathParameters && (!best || moreSpecific(compiled, best.compiled))) best = { compiled, pathParameters };
    }
    if (best) return { route: best.compiled.route, pathParameters: best.pathParameters };
    return this.fallback ? { route: this.fallback, pathParameters: {} } : undefined;
  }
}
