/** decide(), the one entry: pure, and about the weights alone without a burst pool reading. */
import { decide, initialState } from "../../watcher/src/lib";
import { BURST, NATURAL, policy, pv, replay, v } from "./decide-helpers";

describe("decide is pure", () => {
  it("does not modify its inputs and gives the same answer twice", () => {
    const p = policy();
    const s = Object.freeze(initialState(NATURAL, p));
    const a = decide(s, v(20), p, 5_000);
    const b = decide(s, v(20), p, 5_000);
    expect(a).toEqual(b);
    expect(s.weights).toEqual(NATURAL);
    expect(a.state).not.toBe(s);
  });

  it("initial state follows the found weights", () => {
    expect(initialState(BURST, policy()).phase).toBe("burst");
    expect(initialState(NATURAL, policy()).phase).toBe("natural");
  });
});

describe("decide without a burst pool reading", () => {
  it("decides the weights alone, whatever the replica settings: no replicas asked for, no ready gate", () => {
    const samples = [5, 20, 20, 12, 3, 3];
    const plain = policy({ minDwell: 0 });
    const replicaHeavy = policy({ minDwell: 0, burstMinReplicas: 3, burstReplicas: 5, prewarmRps: 1, scaleDownCooldown: 1 });
    const expected = [
      { at: 1, weights: "0,100", action: "to-burst" },
      { at: 4, weights: "100,0", action: "to-natural" },
    ];
    expect(replay(plain, samples).changes).toEqual(expected);
    expect(replay(replicaHeavy, samples).changes).toEqual(expected);
    let state = initialState(NATURAL, replicaHeavy);
    samples.forEach((rps, i) => {
      const d = decide(state, v(rps), replicaHeavy, 1_000_000 + i * 1_000);
      expect([d.replicas, d.desiredReplicas, d.scaleReason]).toEqual([undefined, undefined, undefined]);
      state = d.state;
    });
    // the same samples read with a pool that has no ready replica move nothing: the gate is what is left out
    expect(replay(plain, samples.map((rps) => pv(rps, 0, 0))).changes).toEqual([]);
  });
});
