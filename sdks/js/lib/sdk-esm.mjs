// What `import ... from "@owncast/plugin-sdk"` resolves to in a plugin bundle
// (owncast-plugin build aliases the package here): the runtime's exports as
// named ES exports, so that esbuild reports an import of a name the SDK does
// not have (a typo such as `definePlugn`) at the author's file and line.
import sdk from "../index.js";

export const definePlugin = sdk.definePlugin;
export const defineCommands = sdk.defineCommands;
export const owncast = sdk.owncast;
export const filter = sdk.filter;
export const authCheck = sdk.authCheck;
export const FilterAction = sdk.FilterAction;
export const Events = sdk.Events;
export const Permissions = sdk.Permissions;
export const escapeHtml = sdk.escapeHtml;
export const html = sdk.html;
export const events = sdk.events;
export const handlers = sdk.handlers;
export const PermissionError = sdk.PermissionError;
export const _internal = sdk._internal;
export default sdk;
