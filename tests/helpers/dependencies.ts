/**
 * The direct dependencies each resource is registered with: its `dependsOn` (a component's expanded to
 * its resources) and the resources whose outputs its inputs carry, as the engine orders creates and
 * updates by them. Read off the RegisterResource requests the mock engine receives (MockResourceArgs
 * does not carry them). Import this module before the program runs.
 */
type RegisterRequest = { getType(): string; getName(): string; getDependenciesList(): string[] };
type Monitor = { prototype: { registerResource(req: RegisterRequest, callback: unknown): unknown } };

const dependencies = new Map<string, string[]>();

const monitor = (require("@pulumi/pulumi/runtime/mocks") as { MockMonitor: Monitor }).MockMonitor;
const registerResource = monitor.prototype.registerResource;
monitor.prototype.registerResource = function (this: unknown, req: RegisterRequest, callback: unknown) {
  dependencies.set(`${req.getType()}::${req.getName()}`, req.getDependenciesList());
  return registerResource.call(this, req, callback);
};

/** `type::name` of a URN (`urn:pulumi:<stack>::<project>::<parent types$>type::name`). */
function typeAndName(urn: string): string {
  const parts = urn.split("::");
  const type = parts[parts.length - 2].split("$").pop();
  return `${type}::${parts[parts.length - 1]}`;
}

/** The direct dependencies (`type::name`) of the last resource registered with this type and name. */
export function dependenciesOf(type: string, name: string): string[] {
  const urns = dependencies.get(`${type}::${name}`);
  if (urns === undefined) throw new Error(`no ${type} named ${name} was registered`);
  return urns.map(typeAndName);
}
