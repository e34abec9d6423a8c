package owncastplugins

import (
	"encoding/json"
	"fmt"
)

// The wire protocol's records (docs/WIRE_PROTOCOL.md), in their JSON form.
// Missing fields take their zero values on both sides.

// Optional fields (WIT option) carry omitempty: they are left out when
// zero, as upstream's Go structs leave them out.

// ChatUser is a chat participant as events carry it: the payload of
// chat.user.joined and chat.user.parted, the sender of a chat message, the
// user of an SSE connection or an HTTP request.
type ChatUser struct {
	ID              string   `json:"id"`
	DisplayName     string   `json:"displayName"`
	IsBot           bool     `json:"isBot,omitempty"`
	IsAuthenticated bool     `json:"isAuthenticated,omitempty"`
	Scopes          []string `json:"scopes,omitempty"`
	// DisplayColor is the user's chat color (Owncast's palette index).
	DisplayColor  *uint32  `json:"displayColor,omitempty"`
	PreviousNames []string `json:"previousNames,omitempty"`
	// CreatedAt and DisabledAt are RFC 3339.
	CreatedAt  string `json:"createdAt,omitempty"`
	DisabledAt string `json:"disabledAt,omitempty"`
}

// ChatMessage is the payload of chat.message.received and what
// chat.history returns.
type ChatMessage struct {
	ID string `json:"id"`
	// User is nil for the rare message without an account.
	User *ChatUser `json:"user,omitempty"`
	// ClientID is the chat connection the message came from.
	ClientID  *uint64 `json:"clientId,omitempty"`
	Body      string  `json:"body"`
	Timestamp string  `json:"timestamp"`
}

// ChatUserRename is the payload of chat.user.renamed.
type ChatUserRename struct {
	User         ChatUser `json:"user"`
	PreviousName string   `json:"previousName"`
}

// ChatMessageModeration is the payload of chat.message.moderated.
type ChatMessageModeration struct {
	MessageID string    `json:"messageId"`
	Visible   bool      `json:"visible"`
	Moderator *ChatUser `json:"moderator,omitempty"`
}

// StreamLifecycle is the payload of stream.started and stream.stopped.
type StreamLifecycle struct {
	StartedAt string `json:"startedAt,omitempty"`
	StoppedAt string `json:"stoppedAt,omitempty"`
	Title     string `json:"title,omitempty"`
	Summary   string `json:"summary,omitempty"`
}

// StreamTitleChange is the payload of stream.title.changed.
type StreamTitleChange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// User is a user record (users.list, users.get; upstream HostUser).
type User struct {
	ID            string   `json:"id"`
	DisplayName   string   `json:"displayName"`
	PreviousNames []string `json:"previousNames,omitempty"`
	// CreatedAt is RFC 3339.
	CreatedAt string `json:"createdAt,omitempty"`
	// DisabledAt (RFC 3339) is set while the user is disabled (banned).
	DisabledAt      string   `json:"disabledAt,omitempty"`
	Scopes          []string `json:"scopes,omitempty"`
	IsBot           bool     `json:"isBot,omitempty"`
	IsAuthenticated bool     `json:"isAuthenticated,omitempty"`
	// DisplayColor is the user's chat color (Owncast's palette index).
	DisplayColor *uint32 `json:"displayColor,omitempty"`
}

// ChatClient is a connected chat session, not a user: one user may have
// several (upstream HostChatClient).
type ChatClient struct {
	ID           uint64 `json:"id"`
	UserID       string `json:"userId,omitempty"`
	DisplayName  string `json:"displayName,omitempty"`
	ConnectedAt  string `json:"connectedAt,omitempty"`
	UserAgent    string `json:"userAgent,omitempty"`
	IPAddress    string `json:"ipAddress,omitempty"`
	MessageCount uint32 `json:"messageCount"`
}

// StreamInfo describes the live stream.
type StreamInfo struct {
	Online  bool   `json:"online"`
	Title   string `json:"title,omitempty"`
	Summary string `json:"summary,omitempty"`
	Viewers uint32 `json:"viewers"`
	// StartedAt is RFC 3339; left out while offline.
	StartedAt    string `json:"startedAt,omitempty"`
	LatencyLevel uint32 `json:"latencyLevel,omitempty"`
}

// Broadcaster is the inbound broadcast (upstream StreamBroadcaster).
type Broadcaster struct {
	RemoteAddr string   `json:"remoteAddr,omitempty"`
	Codecs     []string `json:"codecs,omitempty"`
	// Resolution is e.g. "1920x1080".
	Resolution string `json:"resolution,omitempty"`
	Framerate  uint32 `json:"framerate,omitempty"`
	// Bitrates are in Kbps.
	Bitrates []uint32 `json:"bitrates,omitempty"`
}

// ServerInfo is the server's public description.
type ServerInfo struct {
	Name           string `json:"name,omitempty"`
	URL            string `json:"url,omitempty"`
	Summary        string `json:"summary,omitempty"`
	WelcomeMessage string `json:"welcomeMessage,omitempty"`
	Version        string `json:"version,omitempty"`
}

// SocialHandle is one of the server's social links.
type SocialHandle struct {
	Platform string `json:"platform"`
	URL      string `json:"url"`
	Icon     string `json:"icon,omitempty"`
}

// Emote is one of the server's custom chat emotes: the name chat clients
// replace and the URL of its image.
type Emote struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// FederationInfo describes the server's fediverse account.
type FederationInfo struct {
	Enabled   bool   `json:"enabled"`
	Username  string `json:"username,omitempty"`
	IsPrivate bool   `json:"isPrivate,omitempty"`
}

// StreamVariant is one output rendition.
type StreamVariant struct {
	Width     uint32 `json:"width"`
	Height    uint32 `json:"height"`
	Framerate uint32 `json:"framerate"`
	// VideoBitrate and AudioBitrate are in Kbps.
	VideoBitrate  uint32 `json:"videoBitrate"`
	AudioBitrate  uint32 `json:"audioBitrate,omitempty"`
	IsPassthrough bool   `json:"isPassthrough"`
	// CPUUsageLevel is the encoder's CPU use, 0 (lowest) to 4 (highest).
	CPUUsageLevel *uint32 `json:"cpuUsageLevel,omitempty"`
}

// VideoConfig is the video configuration.
type VideoConfig struct {
	LatencyLevel uint32          `json:"latencyLevel"`
	Codec        string          `json:"codec"`
	Variants     []StreamVariant `json:"variants"`
	// Autoplay is "off", "always" or "sound-only".
	Autoplay string `json:"autoplay,omitempty"`
}

// MarshalJSON writes no variants as [] (the field is not optional).
func (v VideoConfig) MarshalJSON() ([]byte, error) {
	type plain VideoConfig
	if v.Variants == nil {
		v.Variants = []StreamVariant{}
	}
	return json.Marshal(plain(v))
}

// VideoConfigUpdate changes the fields that are not nil.
type VideoConfigUpdate struct {
	LatencyLevel *uint32         `json:"latencyLevel,omitempty"`
	Codec        *string         `json:"codec,omitempty"`
	Variants     []StreamVariant `json:"variants,omitempty"`
	Autoplay     *string         `json:"autoplay,omitempty"`
}

// BrowserPush is a browser push notification.
type BrowserPush struct {
	Title string `json:"title"`
	Body  string `json:"body,omitempty"`
	URL   string `json:"url,omitempty"`
}

// FediverseNotification is a notification to the streamer's fediverse
// followers (upstream FediversePayload).
type FediverseNotification struct {
	// Type is "follow", "like", "repost" or a custom kind.
	Type  string `json:"type"`
	Body  string `json:"body"`
	Image string `json:"image,omitempty"`
	Link  string `json:"link,omitempty"`
}

// Caller names the plugin a host call comes from. An empty Slug is the host
// itself: its answer to the chat command !help, a "system" ChatSend built from
// the plugins' command declarations.
type Caller struct {
	Slug string `json:"slug"`
	// BotName is the plugin's chat identity (bot.displayName, or its name).
	BotName string `json:"botName"`
}

// ChatSend is a chat message a plugin sends. Kind is "message", "action"
// (Body), "system" (HTML, already sanitized by the host) or "to" (Body to
// the client ClientID only).
type ChatSend struct {
	Kind     string `json:"kind"`
	Body     string `json:"body,omitempty"`
	HTML     string `json:"html,omitempty"`
	ClientID uint64 `json:"client_id,omitempty"`
}

// Text is the message as one line: the body, or the HTML of a system message.
func (c ChatSend) Text() string {
	if c.Kind == "system" {
		return c.HTML
	}
	return c.Body
}

// Event is an event in the legacy envelope: {"eventType": ..., "payload": {...}}.
type Event struct {
	Type    string          `json:"eventType"`
	Payload json.RawMessage `json:"payload"`
}

// envelope is the event as the host reads it, {"eventType", "payload"},
// written directly: encoding/json would re-scan and copy the payload, which
// is already JSON (the host reports a payload that is not).
func (e Event) envelope() []byte {
	payload := e.Payload
	if len(payload) == 0 {
		payload = json.RawMessage("null")
	}
	b := make([]byte, 0, len(payload)+len(e.Type)+32)
	b = append(b, `{"eventType":`...)
	if plainName(e.Type) {
		b = append(b, '"')
		b = append(b, e.Type...)
		b = append(b, '"')
	} else {
		quoted, _ := json.Marshal(e.Type) // a string always marshals
		b = append(b, quoted...)
	}
	b = append(b, `,"payload":`...)
	b = append(b, payload...)
	return append(b, '}')
}

// plainName says whether s needs no escaping in a JSON string (event types
// are dotted lowercase names; anything else takes the general path).
func plainName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// NewEvent builds an event from its type and any payload that marshals to
// JSON (a ChatMessage for chat.message.received, your own struct for a
// custom event).
func NewEvent(eventType string, payload interface{}) (Event, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return Event{}, fmt.Errorf("owncastplugins: payload of %s: %w", eventType, err)
	}
	return Event{Type: eventType, Payload: b}, nil
}

// ChatMessageEvent is chat.message.received for m.
func ChatMessageEvent(m ChatMessage) Event {
	ev, err := NewEvent("chat.message.received", m)
	if err != nil {
		panic(err) // a ChatMessage always marshals
	}
	return ev
}

// DecodePayload unmarshals the payload into v.
func (e Event) DecodePayload(v interface{}) error {
	return json.Unmarshal(e.Payload, v)
}

// The outcome of a filter chain.
const (
	ResultPass     = "pass"
	ResultModified = "modified"
	ResultDropped  = "dropped"
	// ResultFailed is a step whose plugin failed (trapped, threw, ran out of
	// time): the chain went on as if it had passed.
	ResultFailed = "failed"
)

// Outcome is what the filter chain did with an event.
type Outcome struct {
	// Result is ResultPass, ResultModified or ResultDropped.
	Result string `json:"result"`
	// Event is the event after the last filter that ran.
	Event Event `json:"event"`
	// Dropped says which plugin dropped the event and why.
	Dropped *Drop `json:"dropped"`
	// Steps is one entry per filter that ran, in order.
	Steps []Step `json:"steps"`
}

// Drop is a filter's decision to drop an event.
type Drop struct {
	Plugin string `json:"plugin"`
	Reason string `json:"reason"`
}

// Step is one filter of the chain.
type Step struct {
	Plugin string `json:"plugin"`
	// Result is ResultPass, ResultModified, ResultDropped or ResultFailed.
	Result string `json:"result"`
	Reason string `json:"reason,omitempty"`
	// Error is why the plugin failed (ResultFailed).
	Error string `json:"error,omitempty"`
}

// PluginInfo is what the admin sees of one installed plugin.
type PluginInfo struct {
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	Version     string `json:"version"`
	Description string `json:"description"`
	// Status is "enabled", "disabled", "needs-approval", "failed" or "auto-disabled".
	Status  string `json:"status"`
	Enabled bool   `json:"enabled"`
	// Kind is "component", "extism", ... while running.
	Kind                  string   `json:"kind"`
	Source                string   `json:"source"`
	File                  string   `json:"file"`
	Permissions           []string `json:"permissions"`
	UnapprovedPermissions []string `json:"unapprovedPermissions"`
	// UnapprovedAllowedHosts are outgoing hosts this version lists that the
	// approved version did not; like permissions, they wait for approval.
	UnapprovedAllowedHosts []string `json:"unapprovedAllowedHosts"`
	Strikes                uint32   `json:"strikes"`
	LastError              string   `json:"lastError"`
	// Raw is the complete record as the admin API returns it.
	Raw json.RawMessage `json:"-"`
}

// RequestAuth is authentication the embedder established for an HTTP
// request (its own admin session, a chat user).
type RequestAuth struct {
	Admin bool      `json:"admin"`
	User  *ChatUser `json:"user,omitempty"`
}
