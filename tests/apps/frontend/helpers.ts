/** Helpers for the frontend tests: an in-process frontend and stand-in worker services. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createLogger, listen } from "@istio-burst/common";
import { createFrontend, type Frontend, type FrontendDeps } from "../../../apps/frontend/src/app";
import type { FrontendConfig } from "../../../apps/frontend/src/config";
import { waitFor } from "../../helpers/services";
import { request } from "../worker/helpers";

export async function startFrontend(
  overrides: Partial<FrontendConfig> & Pick<FrontendConfig, "processorUrl" | "redisUrl">,
  drainMs = 2_000,
  deps: Omit<FrontendDeps, "log" | "drainMs"> = {},
): Promise<{ frontend: Frontend; url: string }> {
  const config: FrontendConfig = {
    port: 0,
    burstPrefix: "bursty-",
    maxFreq: 5000,
    initialFreq: 0,
    requestTimeoutMs: 5_000,
    maxInFlight: 500,
    ...overrides,
  };
  const frontend = createFrontend(config, { log: createLogger("frontend", "silent"), drainMs, ...deps });
  const port = await listen(frontend.server, 0, "127.0.0.1");
  const url = `http://127.0.0.1:${port}`;
  await waitFor("frontend ready", async () => (await request(`${url}/_healthz`)).status === 200);
  return { frontend, url };
}

/** A stand-in worker that counts the calls it receives and answers with `status` (or never, when `status` is "never"). */
export async function startCountingProcessor(status: number | "never" = 200): Promise<{
  url: string;
  count: () => number;
  close: () => Promise<void>;
}> {
  let count = 0;
  const held: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on("end", () => {
      count++;
      if (status === "never") {
        held.push(res);
        return;
      }
      const body = status === 200 ? `{"hash":"h${count}"}` : `{"error":"status ${status}"}`;
      res.writeHead(status, { "content-type": "application/json", "content-length": body.length });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  const port = await listen(server, 0, "127.0.0.1");
  return {
    url: `http://127.0.0.1:${port}`,
    count: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
