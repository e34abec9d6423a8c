// Generated from wit/ by `owncast-plugin contract --ts`. Do not edit by hand.
// The JSON shapes of the owncast:plugin@1.0.0 records (camelCase keys).

/** A chat participant as chat events carry it: the payload of `chat.user.joined` and `chat.user.parted`, and the user of renames, moderation, SSE connections and HTTP requests. Upstream's newest protocol carries its one `User` there, so this has every field of [`user`](#user) (those a chat event may lack are options). */
export interface ChatUser {
  id: string;
  displayName: string;
  isBot?: boolean | null;
  isAuthenticated?: boolean | null;
  /** Owncast access scopes, e.g. `MODERATOR`. */
  scopes?: string[] | null;
  /** The user's chat color (Owncast's palette index). */
  displayColor?: number | null;
  previousNames?: string[] | null;
  /** RFC 3339. */
  createdAt?: string | null;
  /** RFC 3339, set while the user is disabled (banned). */
  disabledAt?: string | null;
}

/** A chat message: the payload of `chat.message.received`, and what `chat-history.history` returns (upstream `ChatMessage`). */
export interface ChatMessage {
  id: string;
  /** The sender; left out for the rare message without an account. */
  user?: ChatUser | null;
  /** The chat connection the message came from (`chat.send-to` answers it). */
  clientId?: number | null;
  body: string;
  /** RFC 3339. */
  timestamp: string;
}

/** `chat.user.renamed` (upstream `ChatUserRename`). */
export interface ChatUserRename {
  user: ChatUser;
  previousName: string;
}

/** `chat.message.moderated`: a moderator hid or restored a message (upstream `ChatMessageModeration`). */
export interface ChatMessageModeration {
  messageId: string;
  visible: boolean;
  moderator?: ChatUser | null;
}

/** `stream.started` and `stream.stopped` (upstream `StreamLifecycleEvent`). */
export interface StreamLifecycle {
  /** RFC 3339; set for `stream.started`. */
  startedAt?: string | null;
  /** RFC 3339; set for `stream.stopped`. */
  stoppedAt?: string | null;
  title?: string | null;
  summary?: string | null;
}

/** `stream.title.changed` (upstream `StreamTitleChange`). */
export interface StreamTitleChange {
  from: string;
  to: string;
}

/** `sse.connect` and `sse.disconnect`: a viewer opened or closed one of the plugin's server-sent-event channels (upstream `SSEConnectionEvent`). */
export interface SseConnection {
  channel: string;
  /** Unique for the life of the host; a disconnect carries its connect's id. */
  connectionId: number;
  /** Present when the connection carried a chat identity. */
  user?: ChatUser | null;
}

/** Who acted on the fediverse (upstream `FediverseActor`). */
export interface FediverseActor {
  name: string;
  /** E.g. `@alice@fediverse.example`. */
  handle: string;
  url?: string | null;
  image?: string | null;
}

/** The post a like or repost acted on. */
export interface FediverseTarget {
  url: string;
}

/** `fediverse.follow`, `fediverse.like` and `fediverse.repost` (upstream `FediverseEngagement`). */
export interface FediverseEngagement {
  actor: FediverseActor;
  /** Set for likes and reposts. */
  target?: FediverseTarget | null;
}

/** Media attached to an inbound fediverse post. */
export interface FediverseAttachment {
  url: string;
  mediaType: string;
  alt?: string | null;
}

/** `fediverse.mention` and `fediverse.reply` (upstream `FediverseInboundPost`). */
export interface FediversePost {
  actor: FediverseActor;
  /** HTML from the source instance. */
  content: string;
  /** The content with HTML stripped. */
  contentText: string;
  /** Permalink to the post. */
  url: string;
  /** RFC 3339. */
  postedAt: string;
  /** The parent post, for a reply. */
  inReplyTo?: string | null;
  attachments?: FediverseAttachment[] | null;
  language?: string | null;
}

/** `fediverse.quote`: an accepted quote of a local post (upstream `FediverseQuote`). `target` is the quoted local post, `url` the remote quote post; the content fields are present when the quoting server embedded its note. */
export interface FediverseQuote {
  actor: FediverseActor;
  target: FediverseTarget;
  /** Permalink to the remote quote post. */
  url: string;
  /** HTML from the source instance. */
  content?: string | null;
  /** The content with HTML stripped. */
  contentText?: string | null;
  /** RFC 3339. */
  postedAt?: string | null;
  inReplyTo?: string | null;
  attachments?: FediverseAttachment[] | null;
  language?: string | null;
}

/** A plugin-emitted event; the payload is JSON text. */
export interface CustomEvent {
  eventType: string;
  payloadJson: string;
}

export interface NotifySubscription {
  event: string;
}

export interface FilterSubscription {
  event: string;
  /** Lower runs first; the manifest's `filterPriority` when absent. */
  priority?: number | null;
}

export interface Subscriptions {
  notify: NotifySubscription[];
  filter: FilterSubscription[];
}

/** A chat command (upstream's `CommandInfo`): `prefix` (default `!`) and `name` or one of `aliases` start a human chat message the filters let through. `mod-only` commands run for moderators only; `cooldown-ms` limits how often one user runs it; names match without regard to case unless `case-sensitive`. */
export interface CommandInfo {
  name: string;
  prefix?: string | null;
  description?: string | null;
  usage?: string | null;
  aliases?: string[] | null;
  modOnly?: boolean | null;
  caseSensitive?: boolean | null;
  cooldownMs?: number | null;
}

/** What `register` returns: the plugin as it sees itself. The host compares slug, version and permissions with `plugin.manifest.json`. */
export interface Registration {
  slug: string;
  name: string;
  version: string;
  permissions: string[];
  subscriptions: Subscriptions;
  /** The chat commands the plugin answers; the host delivers each match to `on-event` as the custom event `chat.command`. */
  commands?: CommandInfo[] | null;
}

/** What a tab or page-slot export renders (upstream's `ContentRequest`): the slug of the tab or of the `extraPageContent` slot, and the viewer when known. */
export interface ContentRequest {
  slug: string;
  user?: ChatUser | null;
}

/** A request under `/plugins/<slug>/`. */
export interface HttpRequest {
  method: string;
  /** After `/plugins/<slug>`, with its leading slash (`/` for the plugin's root), decoded, without a trailing slash or the query. */
  path: string;
  /** The query parameters, first value of each, decoded, without `accessToken`; in JSON an object of name to value. */
  query: Record<string, string>;
  /** Canonical names (`Content-Type`), first value of each, without `Authorization`, `Cookie` or `Proxy-Authorization`; in JSON an object of name to value. */
  headers: Record<string, string>;
  body: string;
  remoteAddr: string;
  /** Whether the request carried Owncast authentication (admin or user). */
  authenticated: boolean;
  /** The user the request came from, when it carried a user token. */
  user?: ChatUser | null;
}

export interface HttpResponse {
  /** 200 when the legacy JSON leaves it out. */
  status: number;
  /** In JSON an object of name to value; filtered through the host's allowlist. */
  headers: Record<string, string>;
  body: string;
}

/** Outcome of a host call that can fail without trapping (`{ok, error?}` in JSON). */
export interface OpResult {
  ok: boolean;
  error?: string | null;
}

/** A user record (`users.list`, `users.get`; upstream `HostUser`). */
export interface User {
  id: string;
  displayName: string;
  previousNames?: string[] | null;
  /** RFC 3339. */
  createdAt?: string | null;
  /** RFC 3339, set while the user is disabled (banned). */
  disabledAt?: string | null;
  scopes?: string[] | null;
  isBot?: boolean | null;
  isAuthenticated?: boolean | null;
  /** The user's chat color (Owncast's palette index). */
  displayColor?: number | null;
}

/** A connected chat session, not a user: one user may have several (upstream `HostChatClient`). */
export interface ChatClient {
  id: number;
  userId?: string | null;
  displayName?: string | null;
  /** RFC 3339. */
  connectedAt?: string | null;
  userAgent?: string | null;
  ipAddress?: string | null;
  messageCount: number;
}

/** The live stream (`server.stream-current`; upstream `StreamInfo`). */
export interface StreamInfo {
  online: boolean;
  title?: string | null;
  summary?: string | null;
  viewers: number;
  /** RFC 3339; left out while offline. */
  startedAt?: string | null;
  latencyLevel?: number | null;
}

/** The inbound broadcast; every field left out while offline (upstream `StreamBroadcaster`). */
export interface Broadcaster {
  remoteAddr?: string | null;
  codecs?: string[] | null;
  /** E.g. `1920x1080`. */
  resolution?: string | null;
  framerate?: number | null;
  /** Kbps. */
  bitrates?: number[] | null;
}

/** Upstream `ServerInfo`. */
export interface ServerInfo {
  name?: string | null;
  url?: string | null;
  summary?: string | null;
  welcomeMessage?: string | null;
  version?: string | null;
}

/** Upstream `SocialHandle`. */
export interface SocialHandle {
  platform: string;
  url: string;
  icon?: string | null;
}

/** Upstream `Emote`: a custom chat emote, the name chat clients replace and the URL of its image. */
export interface Emote {
  name: string;
  url: string;
}

/** Upstream `FederationInfo`. */
export interface FederationInfo {
  enabled: boolean;
  username?: string | null;
  isPrivate?: boolean | null;
}

/** One output rendition (upstream `StreamVariant`). */
export interface StreamVariant {
  width: number;
  height: number;
  framerate: number;
  /** Kbps. */
  videoBitrate: number;
  /** Kbps. Upstream's newest protocol leaves audio out (a variant update keeps the output's audio settings). */
  audioBitrate?: number | null;
  isPassthrough: boolean;
  /** Encoder CPU use, 0 (lowest) to 4 (highest). */
  cpuUsageLevel?: number | null;
}

/** Upstream `VideoConfig`. */
export interface VideoConfig {
  latencyLevel: number;
  codec: string;
  variants: StreamVariant[];
  /** How the player starts: `off`, `always` or `sound-only`. */
  autoplay?: string | null;
}

/** Fields left out stay as they are (upstream `VideoConfigUpdate`). */
export interface VideoConfigUpdate {
  latencyLevel?: number | null;
  codec?: string | null;
  variants?: StreamVariant[] | null;
  /** `off`, `always` or `sound-only`. */
  autoplay?: string | null;
}

/** Upstream `BrowserPushPayload`. */
export interface BrowserPush {
  title: string;
  body?: string | null;
  url?: string | null;
}

/** A fediverse notification (upstream `FediversePayload`). */
export interface FediverseNotification {
  /** `follow`, `like`, `repost` or a custom kind. */
  type: string;
  body: string;
  image?: string | null;
  link?: string | null;
}

/** Result of an upload or a fediverse post (upstream `UploadResult`). */
export interface UrlResult {
  url: string;
}

/** A button shown under the stream (Owncast "external action"): exactly one of `url` and `html`. */
export interface ActionButton {
  title: string;
  url?: string | null;
  /** Shown in a modal; sanitized by the host before it reaches viewers. */
  html?: string | null;
  icon?: string | null;
  color?: string | null;
  description?: string | null;
  /** Open in a new tab instead of a modal. */
  openExternally?: boolean | null;
}

/** Built-in event types and their payloads. */
export interface EventPayloads {
  "chat.message.received": ChatMessage;
  "chat.user.joined": ChatUser;
  "chat.user.parted": ChatUser;
  "chat.user.renamed": ChatUserRename;
  "chat.message.moderated": ChatMessageModeration;
  "stream.started": StreamLifecycle;
  "stream.stopped": StreamLifecycle;
  "stream.title.changed": StreamTitleChange;
  "sse.connect": SseConnection;
  "sse.disconnect": SseConnection;
  "fediverse.follow": FediverseEngagement;
  "fediverse.like": FediverseEngagement;
  "fediverse.repost": FediverseEngagement;
  "fediverse.mention": FediversePost;
  "fediverse.reply": FediversePost;
  "fediverse.quote": FediverseQuote;
}

export type BuiltinEventType = keyof EventPayloads;

/** The legacy `on_event`/`on_filter` input. */
export type EventEnvelope =
  | { [K in BuiltinEventType]: { eventType: K; payload: EventPayloads[K] } }[BuiltinEventType]
  | { eventType: string; payload: unknown };

/** The legacy `on_filter` output. */
export type FilterResultJson =
  | { action: "pass" }
  | { action: "modify"; payload: unknown }
  | { action: "drop"; reason?: string };
