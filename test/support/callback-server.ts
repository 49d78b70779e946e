import { createServer, type Server } from 'node:http';

/** The relying party's redirect_uri: a real HTTP endpoint on 127.0.0.1 that records what arrives. */
export class CallbackServer {
  readonly #server: Server;
  readonly received: string[] = [];
  #port = 0;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<CallbackServer> {
    const callback = new CallbackServer(
      createServer((request, response) => {
        callback.received.push(`${callback.origin}${request.url}`);
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end('<!doctype html><title>Signed in</title><h1 id="done">Back at the app</h1>');
      }),
    );
    await new Promise<void>((resolve) => callback.#server.listen(0, '127.0.0.1', resolve));
    const address = callback.#server.address();
    callback.#port = typeof address === 'object' && address ? address.port : 0;
    return callback;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  uri(path: string): string {
    return `${this.origin}${path}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
