/** The local router against a small HTTP server implementing GET/PUT /weights. */
import { LocalRouter } from "../../../watcher/src/routers/local";
import { freePort } from "../../helpers/services";
import { startFakeMesh, type FakeMesh } from "../fake-mesh";

let mesh: FakeMesh;
beforeEach(async () => {
  mesh = await startFakeMesh({ primary: 100, burst: 0 });
});
afterEach(() => mesh.close());

const note = { reason: "BurstStarted", message: "test" };

describe("local router", () => {
  it("reads the mesh's weights", async () => {
    mesh.weights = { primary: 30, burst: 70 };
    expect(await new LocalRouter({ meshUrl: mesh.url }).getWeights()).toEqual({ primary: 30, burst: 70 });
  });

  it("PUTs exactly {primary, burst} and the mesh has them (read back)", async () => {
    const r = new LocalRouter({ meshUrl: `${mesh.url}/` });
    await r.setWeights({ primary: 0, burst: 100 }, note);
    expect(mesh.puts).toEqual([{ primary: 0, burst: 100 }]);
    expect(await r.getWeights()).toEqual({ primary: 0, burst: 100 });
  });

  it("a 400 from the mesh is an error with its message; weights unchanged", async () => {
    const r = new LocalRouter({ meshUrl: mesh.url });
    await expect(r.setWeights({ primary: 50, burst: 60 }, note)).rejects.toThrow(/HTTP 400: primary and burst must be integers/);
    expect(mesh.weights).toEqual({ primary: 100, burst: 0 });
  });

  it("a 503 is an error (read and write)", async () => {
    const r = new LocalRouter({ meshUrl: mesh.url });
    mesh.failNext(2);
    await expect(r.getWeights()).rejects.toThrow(/HTTP 503: mesh unavailable/);
    await expect(r.setWeights({ primary: 0, burst: 100 }, note)).rejects.toThrow(/HTTP 503/);
  });

  it("invalid weights from the mesh are refused", async () => {
    mesh.weights = { primary: 50, burst: 20 };
    await expect(new LocalRouter({ meshUrl: mesh.url }).getWeights()).rejects.toThrow(/summing to 100/);
  });

  it("an unreachable mesh is an error naming the URL", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    await expect(new LocalRouter({ meshUrl: url }).getWeights()).rejects.toThrow(`GET ${url}/weights: ECONNREFUSED`);
  });
});
