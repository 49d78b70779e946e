import { once } from 'node:events';
import { createServer, request as forward, type IncomingMessage, type Server } from 'node:http';

export interface Routed {
  node: number;
  method: string;
  path: string;
  status: number;
}

/**
 * The smallest load balancer: forwards each request to the node `route` picks and records which
 * node answered what, so a test can show that one flow's steps were served by different processes.
 */
export class NodeProxy {
  readonly log: Routed[] = [];
  route: (request: IncomingMessage) => number = () => 0;
  readonly #server: Server;

  private constructor(ports: number[]) {
    this.#server = createServer((incoming, outgoing) => {
      const node = this.route(incoming);
      const upstream = forward(
        { host: '127.0.0.1', port: ports[node], method: incoming.method, path: incoming.url, headers: incoming.headers },
        (answer) => {
          this.log.push({ node, method: incoming.method!, path: incoming.url!.split('?')[0]!, status: answer.statusCode! });
          outgoing.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(outgoing);
        },
      );
      upstream.on('error', () => outgoing.writeHead(502).end());
      incoming.pipe(upstream);
    });
  }

  static async start(ports: number[]): Promise<NodeProxy> {
    const proxy = new NodeProxy(ports);
    proxy.#server.listen(0, '127.0.0.1');
    await once(proxy.#server, 'listening');
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as { port: number }).port}`;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
