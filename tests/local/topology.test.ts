/** Local mode's frontend reads the routing from the watcher it runs (WATCHER_URL), never from one named in the caller's environment. */
import { resolveConfig } from "../../local/src/config";
import { runFiles, stages, urlsOf, type Ports } from "../../local/src/topology";

const PORTS: Ports = { frontend: 18080, redis: 16379, meshData: 18001, meshAdmin: 18002, prometheus: 19090, watcher: 18082, scaler: 18083, primary: [18101] };
const PROGRAMS = { redis: "redis-server", prometheus: "prometheus", worker: "worker.js", frontend: "frontend.js", watcher: "watcher.js", mesh: "mesh.js" };

function frontendEnv(): NodeJS.ProcessEnv {
  const urls = urlsOf(PORTS);
  const all = stages({ config: resolveConfig({}), ports: PORTS, urls, files: runFiles("local-run"), programs: PROGRAMS }).flat();
  const names = all.map((s) => s.name);
  // the watcher is ready before the frontend starts
  expect(names.indexOf("watcher")).toBeLessThan(names.indexOf("frontend"));
  return all.find((s) => s.name === "frontend")!.env!;
}

it("passes the frontend the watcher's URL as WATCHER_URL", () => {
  expect(frontendEnv().WATCHER_URL).toBe(`http://127.0.0.1:${PORTS.watcher}`);
  expect(frontendEnv().WATCHER_URL).toBe(urlsOf(PORTS).watcher);
});

it("does not let a WATCHER_URL of the caller's environment through", () => {
  const saved = process.env.WATCHER_URL;
  process.env.WATCHER_URL = "http://elsewhere.example:1";
  try {
    expect(frontendEnv().WATCHER_URL).toBe(urlsOf(PORTS).watcher);
    for (const spec of stages({ config: resolveConfig({}), ports: PORTS, urls: urlsOf(PORTS), files: runFiles("local-run"), programs: PROGRAMS }).flat()) {
      if (spec.name !== "frontend") expect({ part: spec.name, WATCHER_URL: spec.env?.WATCHER_URL }).toEqual({ part: spec.name, WATCHER_URL: undefined });
    }
  } finally {
    if (saved === undefined) delete process.env.WATCHER_URL;
    else process.env.WATCHER_URL = saved;
  }
});
