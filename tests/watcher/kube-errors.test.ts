/** What a failed @kubernetes/client-node call says, read once for the Istio router and the Kubernetes scaler. */
import { KubeApiError, readKubeError } from "../../watcher/src/kube-errors";

describe("readKubeError", () => {
  it("reads the status and the API server's message from a JSON body, as text or parsed", () => {
    const body = { kind: "Status", message: 'deployments.apps "x" not found' };
    expect(readKubeError({ code: 404, body: JSON.stringify(body), message: "HTTP-Code: 404" })).toEqual({ status: 404, message: body.message, network: "HTTP-Code: 404" });
    expect(readKubeError({ code: 403, body })).toMatchObject({ status: 403, message: body.message });
  });

  it("has no status for a request that got no answer, and names the network error", () => {
    expect(readKubeError(Object.assign(new Error("fetch failed"), { cause: { code: "ECONNREFUSED" } }))).toEqual({ status: undefined, message: undefined, network: "ECONNREFUSED" });
    expect(readKubeError({ code: 500, body: "<html>oops</html>" })).toMatchObject({ status: 500, message: undefined });
  });

  it("KubeApiError keeps the status", () => {
    const err = new KubeApiError("get Deployment: HTTP 409", 409);
    expect(err).toBeInstanceOf(Error);
    expect([err.name, err.status, err.message]).toEqual(["KubeApiError", 409, "get Deployment: HTTP 409"]);
  });
});
