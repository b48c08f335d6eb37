/** The contract's weights: the one parser of `primary,burst` (text, a JSON list or a JSON object). */
import { parseWeights } from "@istio-burst/contract";

describe("parseWeights", () => {
  it.each([
    ["100,0", { primary: 100, burst: 0 }],
    [" 30 , 70 ", { primary: 30, burst: 70 }],
    ["[0, 100]", { primary: 0, burst: 100 }],
    ['{"primary": 90, "burst": 10}', { primary: 90, burst: 10 }],
  ])("parses %j", (text, w) => expect(parseWeights(text)).toEqual(w));

  it.each(["", "100", "50,60", "-1,101", "[50]", "[50,50,0]", '{"primary":50,"burst":50,"x":0}', '{"primary":"50","burst":50}', "null", "1e2,0"])(
    "refuses %j",
    (text) => expect(parseWeights(text)).toBeUndefined(),
  );
});
