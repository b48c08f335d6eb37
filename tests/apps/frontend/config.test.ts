/** The frontend's configuration: the one check of a requested frequency. */
import { parseFreq } from "../../../apps/frontend/src/config";

describe("parseFreq", () => {
  it.each([0, 0.5, 1, 4999.5, 5000])("accepts %p", (v) => expect(parseFreq(v, 5000)).toEqual({ freq: v }));
  it.each([-1, -0.001, 5000.1, Number.NaN, Infinity, -Infinity, "5", "abc", null, undefined, true, [5], { n: 5 }])("refuses %p", (v) =>
    expect(parseFreq(v, 5000)).toEqual({ error: expect.stringMatching(/freq/) }),
  );
});
